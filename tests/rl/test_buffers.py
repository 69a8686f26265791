"""ReplayBuffer: ring semantics, sampling whole transitions uniformly, seeding, bad inputs."""
import numpy as np
import pytest

from gradsheet.rl.buffers import ReplayBuffer


def fill(buffer, ids):
    """Transition i: obs (i, -i), action i % 3, reward i, next obs (i + 1, -i - 1), terminated
    when i is even: every field names its transition."""
    for i in ids:
        buffer.add(np.array([i, -i]), i % 3, float(i), np.array([i + 1, -i - 1]), i % 2 == 0)


def stored_ids(buffer):
    return sorted(buffer.rewards[:len(buffer)].astype(int))


def test_fills_then_overwrites_the_oldest():
    buffer = ReplayBuffer(3, (2,), seed=0)
    fill(buffer, [0, 1])
    assert len(buffer) == 2 and not buffer.full and buffer.position == 2
    fill(buffer, [2])
    assert len(buffer) == 3 and buffer.full and buffer.position == 0
    fill(buffer, [3, 4])
    assert len(buffer) == 3 and buffer.position == 2
    assert list(buffer.rewards) == [3.0, 4.0, 2.0]  # rows 0 and 1 were overwritten
    assert stored_ids(buffer) == [2, 3, 4]
    np.testing.assert_array_equal(buffer.observations[1], [4, -4])
    np.testing.assert_array_equal(buffer.next_observations[1], [5, -5])
    assert list(buffer.actions) == [0, 1, 2] and list(buffer.terminated) == [False, True, True]


def test_samples_whole_stored_transitions_with_their_dtypes():
    buffer = ReplayBuffer(5, (2,), seed=0)
    fill(buffer, range(8))  # keeps 3..7
    batch = buffer.sample(200)
    ids = batch.rewards.astype(int)
    assert set(ids) == {3, 4, 5, 6, 7}
    np.testing.assert_array_equal(batch.observations, np.stack([ids, -ids], axis=1))
    np.testing.assert_array_equal(batch.next_observations, np.stack([ids + 1, -ids - 1], axis=1))
    np.testing.assert_array_equal(batch.actions, ids % 3)
    np.testing.assert_array_equal(batch.terminated, ids % 2 == 0)
    assert batch.observations.shape == (200, 2) and batch.observations.dtype == np.float32
    assert (batch.actions.dtype, batch.rewards.dtype, batch.terminated.dtype) == (
        np.int64, np.float32, np.bool_)


def test_sampling_is_uniform_over_stored_transitions():
    buffer = ReplayBuffer(4, (2,), seed=1)
    fill(buffer, range(4))
    counts = np.bincount(buffer.sample(40_000).rewards.astype(int), minlength=4)
    # each count is Binomial(40000, 1/4): sd ~87, so 10000 +- 500 is over 5 sd
    assert np.all(np.abs(counts - 10_000) < 500), counts


def test_seeded_sampling_repeats_and_a_shared_generator_is_used():
    batches = []
    for _ in range(2):
        buffer = ReplayBuffer(10, (2,), seed=3)
        fill(buffer, range(10))
        batches.append(buffer.sample(16).rewards)
    np.testing.assert_array_equal(*batches)
    rng = np.random.default_rng(0)
    assert ReplayBuffer(2, (1,), seed=rng).rng is rng


def test_add_copies_the_observation():
    buffer = ReplayBuffer(2, (2,))
    obs = np.array([1.0, 2.0])
    buffer.add(obs, 0, 0.0, obs, False)
    obs[:] = 9.0
    np.testing.assert_array_equal(buffer.observations[0], [1.0, 2.0])


def test_bad_inputs_raise_naming_the_values():
    with pytest.raises(ValueError, match="capacity must be a positive int, got 0"):
        ReplayBuffer(0, (2,))
    with pytest.raises(ValueError, match="capacity must be a positive int, got 2.5"):
        ReplayBuffer(2.5, (2,))
    buffer = ReplayBuffer(4, (2,))
    with pytest.raises(ValueError, match="the buffer is empty"):
        buffer.sample(1)
    fill(buffer, [0])
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        buffer.sample(0)
