"""Attack data (Dataset, DataLoader, collate), rl planning, io (gs.save/gs.load) and the tensor
factories. Factories and loads of garbage run in a child process whose address space is capped
(RLIMIT_AS), so a case that tries to allocate terabytes meets a MemoryError, not the machine."""
import io as _io
import math
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import rl
from gradsheet.data import DataLoader, TensorDataset, default_collate

from .attack import attempt, count_child, run_bounded

ODD = [None, "abc", 2.5, -1, 0, True, 10 ** 12, math.nan, [], [1, "a"], {"a": 1}, object(),
       gs.tensor([1.0, 2.0]), (1, 2)]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["batch_size", "shuffle", "sampler", "num_workers", "drop_last",
                        "collate_fn", "dataset"]), st.sampled_from(range(len(ODD))))
def test_dataloader_with_an_odd_argument(key, which):
    value = ODD[which]
    data = TensorDataset(gs.arange(10.0).reshape(5, 2), gs.arange(5))
    kwargs = {"batch_size": 2}
    if key == "dataset":
        data = value
    else:
        kwargs[key] = value
    if key == "num_workers" and isinstance(value, int) and value > 4:
        return  # (a valid request for many processes: not an attack)
    attempt("data", ("DataLoader", "Sampler", "dataset", key, "collate"),
            lambda: list(DataLoader(data, **kwargs)), lambda: f"DataLoader({key}={value!r})")


BATCHES = [[], [1, "a"], [gs.ones(2), gs.ones(3)], [{"x": 1}, {"y": 2}], [None, None],
           [(1, 2), (3,)], [object()], ["a", "b"], [gs.ones(2), 1.0], [[1, 2], [3]]]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(range(len(BATCHES))))
def test_default_collate_with_odd_batches(which):
    batch = BATCHES[which]
    attempt("data", ("default_collate", "collate", "batch"), lambda: default_collate(batch),
            lambda: f"default_collate({batch!r})")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(range(len(ODD))), st.sampled_from(range(len(ODD))))
def test_tensor_dataset_with_odd_tensors_and_indices(which, index):
    attempt("data", ("TensorDataset", "index", "tensor"),
            lambda: TensorDataset(gs.ones(3), ODD[which])[0], lambda: f"TensorDataset(.., {ODD[which]!r})")
    attempt("data", ("TensorDataset", "index", "out of range"),
            lambda: TensorDataset(gs.ones(3))[ODD[index]], lambda: f"TensorDataset[{ODD[index]!r}]")


PLANNERS = ["value_iteration", "policy_iteration", "modified_policy_iteration", "q_values",
            "greedy_policy", "bellman_residual", "policy_evaluation"]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(PLANNERS), st.sampled_from(range(len(ODD))))
def test_planning_with_an_odd_mdp(name, which):
    fn = getattr(rl, name)
    args = (ODD[which],) if name in ("value_iteration", "policy_iteration",
                                     "modified_policy_iteration") else (ODD[which], None)
    attempt("rl", (name, "mdp"), lambda: fn(*args), lambda: f"rl.{name}({ODD[which]!r})")


def test_value_iteration_of_none_names_the_argument():
    kind, error = attempt("rl", "value_iteration", lambda: rl.value_iteration(None),
                          lambda: "value_iteration(None)")
    assert kind == "error" and isinstance(error, TypeError)
    assert "argument 'mdp' must be an MDP" in str(error) and "NoneType" in str(error)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(range(len(ODD))), st.sampled_from(["eps", "iter", "policy"]))
def test_planning_with_odd_parameters(which, what):
    mdp = rl.envs.GridWorld().mdp
    value = ODD[which]
    calls = {"eps": lambda: rl.value_iteration(mdp, epsilon=value),
             "iter": lambda: rl.value_iteration(mdp, max_iter=value),
             "policy": lambda: rl.policy_evaluation(mdp, value)}
    attempt("rl", ("value_iteration", "policy_evaluation", "epsilon", "max_iter", "policy"),
            calls[what], lambda: f"{what}={value!r}")


SAVED = [lambda: (lambda x: x), lambda: object(), lambda: _io.StringIO("x"), lambda: iter([1]),
         lambda: {1: gs.ones(2)}, lambda: {"a": [gs.ones(2), {"b": (1, "c")}]}, lambda: None,
         lambda: gs.ones(2, 3), lambda: [1, 2.5, "x", None, True]]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(range(len(SAVED))))
def test_save_odd_objects_round_trip_or_refuse(which):
    obj = SAVED[which]()
    buffer = _io.BytesIO()
    kind, _ = attempt("io", ("save", "pickle", "serializ"), lambda: gs.save(obj, buffer),
                      lambda: f"gs.save({obj!r})")
    if kind == "result":
        buffer.seek(0)
        attempt("io", ("load", "pickle", "weights_only"), lambda: gs.load(buffer),
                lambda: f"gs.load(saved {obj!r})")


def test_load_odd_paths_names_the_path(tmp_path):
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    for path in (tmp_path / "missing.pt", tmp_path, empty):
        kind, error = attempt("io", ("load", str(path)), lambda: gs.load(str(path)),
                              lambda: f"gs.load({path})")
        assert kind == "error"


def test_loading_garbage_and_truncations_in_a_bounded_child(tmp_path):
    """Random bytes, truncations and bit flips of a saved file: a named error or the object,
    inside a child capped at 3 GiB."""
    outcome = run_bounded(f"""
        import io, json, random, sys
        sys.path.insert(0, {os.getcwd()!r})
        import gradsheet as gs
        random.seed(0)
        buffer = io.BytesIO(); gs.save({{"w": gs.ones(3, 4), "step": 3}}, buffer)
        good = buffer.getvalue()
        cases = [bytes(random.getrandbits(8) for _ in range(random.randint(0, 300)))
                 for _ in range(60)]
        cases += [good[:k] for k in range(0, len(good), max(1, len(good) // 60))]
        for _ in range(80):
            b = bytearray(good); i = random.randrange(len(b)); b[i] ^= 1 << random.randrange(8)
            cases.append(bytes(b))
        counts = {{"result": 0, "named error": 0, "memory refused": 0}}
        bad = []
        for data in cases:
            try:
                gs.load(io.BytesIO(data))
                counts["result"] += 1
            except MemoryError:
                counts["memory refused"] += 1
            except (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError) as e:
                counts["named error"] += 1
            except Exception as e:
                bad.append(type(e).__name__ + ": " + str(e)[:120])
        print(json.dumps({{"counts": counts, "bad": bad}}))
    """)
    bad = count_child("io (bounded)", outcome)
    assert not bad, bad[:5]


def test_factories_with_odd_sizes_in_a_bounded_child():
    """gs.zeros/ones/empty/full/rand/randn/arange/tensor with odd sizes and data, in a child
    capped at 3 GiB: a named error, a MemoryError, or a tensor; never a crash."""
    outcome = run_bounded(f"""
        import json, math, sys
        sys.path.insert(0, {os.getcwd()!r})
        import gradsheet as gs
        odd = [None, "abc", 2.5, -1, 0, True, 10 ** 12, 2 ** 62, math.nan, [], [2, "a"], (2, -3),
               {{"a": 1}}, object(), gs.tensor([2, 3]), (10 ** 6, 10 ** 6)]
        counts = {{"result": 0, "named error": 0, "memory refused": 0}}
        bad = []
        def run(name, call):
            try:
                call(); counts["result"] += 1
            except MemoryError:
                counts["memory refused"] += 1
            except (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError) as e:
                if name.split("(")[0] in str(e) or name.split("(")[0].lower() in str(e).lower():
                    counts["named error"] += 1
                else:
                    bad.append(f"{{name}}: {{type(e).__name__}}: {{e}}"[:200])
            except Exception as e:
                bad.append(f"{{name}}: {{type(e).__name__}}: {{e}}"[:200])
        for size in odd:
            for f in ("zeros", "ones", "empty", "rand", "randn"):
                run(f"{{f}}({{size!r}})", lambda: getattr(gs, f)(size))
            run(f"full({{size!r}})", lambda: gs.full(size, 1.0))
            run(f"arange({{size!r}})", lambda: gs.arange(size))
            run(f"arange(0, 10, {{size!r}})", lambda: gs.arange(0, 10, size))
            run(f"tensor({{size!r}})", lambda: gs.tensor(size))
        print(json.dumps({{"counts": counts, "bad": bad}}))
    """)
    bad = count_child("factories", outcome)
    assert not bad, "\n".join(bad)
