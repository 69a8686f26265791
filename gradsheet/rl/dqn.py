"""Deep Q-network: Q-learning with a neural network Q(s, ·; θ), experience replay and a target net.

    y = r + γ (1 − terminated) max_a′ Q(s′, a′; θ⁻)                        (DQN)
    y = r + γ (1 − terminated) Q(s′, argmax_a′ Q(s′, a′; θ); θ⁻)            (double DQN)
    L(θ) = mean over a replayed minibatch of Huber(Q(s, a; θ) − y)
    θ⁻ ← τ θ + (1 − τ) θ⁻   every ``target_update_interval`` steps         (τ = 1: a hard copy)

The cheat sheet's Q-learning update with the table replaced by a network trained by gradient
descent on the TD error. Three things keep that stable: the replay buffer decorrelates
samples, the target network θ⁻ holds y still between updates, and the Huber loss keeps the
gradient bounded for large errors. The agent acts ε-greedily, with ε falling linearly from
``exploration_initial_eps`` to ``exploration_final_eps`` over the first
``exploration_fraction`` of each ``learn`` call (actions are uniformly random until
``learning_starts`` steps have filled the buffer).

The defaults are RL Baselines3 Zoo's tuned CartPole-v1 hyper-parameters; the names are
Stable-Baselines3's, so its users' settings carry over.

Vector environments: given a Gymnasium vector env (``SyncVectorEnv`` / ``AsyncVectorEnv``) or
``n_envs=`` (a ``SyncVectorEnv`` of that many copies), each step acts in every sub-env with one
batched forward pass of the Q-network over all their observations, and every sub-env's
transition goes to the replay buffer. The schedule counts env steps (transitions), as with
one env: ``total_timesteps``, ``learning_starts``, ``train_freq``, ``target_update_interval``
and ε's decay are in transitions over all sub-envs, so the gradient steps per env step stay
the same (a vector step of n envs that crosses a multiple of ``train_freq`` trains then).

Reference: Mnih et al., "Human-level control through deep reinforcement learning", Nature 2015;
van Hasselt, Guez & Silver, "Deep Reinforcement Learning with Double Q-learning", AAAI 2016.
"""
from __future__ import annotations

import collections
import json
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import as_tensor
from .. import io, nn, optim
from ..nn import functional as F
from ..nn import init
from .buffers import (ReplayBuffer, VectorRunner, is_vector_env, make_vector_env, single_env,
                      vector_step_limit)
from .tabular import LinearSchedule, run_policy, step_limit

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .._typing import PathLike
    from .tabular import Evaluation

Episodes = collections.namedtuple("Episodes", ["returns", "lengths", "envs"])
Episodes.__doc__ = """The return, length and sub-env index (0 for a single env) of each episode
completed during a ``learn`` call, in the order they ended."""


def _check(name: str, value: Any, rule: str, ok: bool) -> None:
    if isinstance(value, bool) or not ok:
        raise ValueError(f"DQN: {name} must be {rule}, got {name}={value!r}")


class DQN:
    """A DQN agent for a Gymnasium env with a flat Box observation space and Discrete actions.

    Args:
        env: the environment (e.g. ``gymnasium.make("CartPole-v1")``), an env id, or a
            Gymnasium vector env (``SyncVectorEnv`` / ``AsyncVectorEnv``).
        learning_rate: Adam's step size (default 2.3e-3).
        buffer_size: replay buffer capacity (default 100,000).
        learning_starts: random-action steps that fill the buffer before training (default 1000).
        batch_size: transitions per gradient step (default 64).
        tau: the target update's τ, 1 for a hard copy (default 1.0).
        gamma: the discount γ (default 0.99).
        train_freq: env steps between training phases (default 256).
        gradient_steps: gradient steps per training phase (default 128).
        target_update_interval: env steps between target updates (default 10).
        exploration_fraction: the fraction of a ``learn`` call over which ε decays (default 0.16).
        exploration_initial_eps, exploration_final_eps: ε's start and end (defaults 1.0, 0.04).
        max_grad_norm: clip the gradient's global norm to this, None for no clipping (default 10).
        net_arch: hidden layer sizes of the ReLU MLP (default (256, 256)).
        double_q: use the double-DQN target (default False).
        seed: seeds the one ``numpy.random.Generator`` behind the weights, exploration, replay
            sampling and the env's first reset: the same seed gives the same run, bit for bit.
        n_envs: build a ``gymnasium.vector.SyncVectorEnv`` of ``n_envs`` copies of ``env`` (an
            env id, a factory, or an env from ``gymnasium.make``) and learn on it.

    Attributes:
        q_net, q_net_target: the online and target networks (``nn.Sequential``).
        replay_buffer: the ``ReplayBuffer``; optimizer: the ``optim.Adam``.
        num_timesteps: env steps (transitions, over all sub-envs) taken over all ``learn`` calls.
        n_envs: the number of environments stepped together (1 for a plain env).
        episode_returns, episode_lengths, episode_envs: every completed episode's return,
            length and sub-env index.

    Example: ``agent = DQN(gymnasium.make("CartPole-v1"), seed=0); agent.learn(50_000)``.
    """

    def __init__(self, env: Any, learning_rate: float = 2.3e-3, buffer_size: int = 100_000,
                 learning_starts: int = 1000, batch_size: int = 64, tau: float = 1.0,
                 gamma: float = 0.99, train_freq: int = 256, gradient_steps: int = 128,
                 target_update_interval: int = 10, exploration_fraction: float = 0.16,
                 exploration_initial_eps: float = 1.0, exploration_final_eps: float = 0.04,
                 max_grad_norm: Optional[float] = 10.0, net_arch: Sequence[int] = (256, 256),
                 double_q: bool = False, seed: Optional[Union[int, np.random.Generator]] = None,
                 n_envs: Optional[int] = None) -> None:
        hyperparameters = {name: value for name, value in locals().items()
                           if name in HYPERPARAMETERS}
        if n_envs is not None:
            env = make_vector_env(env, n_envs, "DQN")
        elif isinstance(env, str):
            import gymnasium
            env = gymnasium.make(env)
        observation_size, n_actions = _sizes(env)
        self._setup(env, observation_size, n_actions, seed, **hyperparameters)

    def _setup(self, env: Any, observation_size: int, n_actions: int,
               seed: Optional[Union[int, np.random.Generator]], learning_rate: float,
               buffer_size: int, learning_starts: int, batch_size: int, tau: float,
               gamma: float, train_freq: int, gradient_steps: int, target_update_interval: int,
               exploration_fraction: float, exploration_initial_eps: float,
               exploration_final_eps: float, max_grad_norm: Optional[float],
               net_arch: Sequence[int], double_q: bool) -> None:
        """Check the hyperparameters and build the networks, optimizer and buffer for
        ``observation_size`` inputs and ``n_actions`` actions (``env`` may be None)."""
        for name, value in (("buffer_size", buffer_size), ("batch_size", batch_size),
                            ("train_freq", train_freq), ("gradient_steps", gradient_steps),
                            ("target_update_interval", target_update_interval)):
            _check(name, value, "a positive int", isinstance(value, int) and value > 0)
        _check("learning_starts", learning_starts, "a non-negative int",
               isinstance(learning_starts, int) and learning_starts >= 0)
        _check("learning_rate", learning_rate, "positive",
               isinstance(learning_rate, (int, float)) and learning_rate > 0)
        _check("tau", tau, "in (0, 1]", isinstance(tau, (int, float)) and 0 < tau <= 1)
        for name, unit in (("gamma", gamma), ("exploration_fraction", exploration_fraction),
                           ("exploration_initial_eps", exploration_initial_eps),
                           ("exploration_final_eps", exploration_final_eps)):
            _check(name, unit, "in [0, 1]", isinstance(unit, (int, float)) and 0 <= unit <= 1)
        _check("max_grad_norm", max_grad_norm, "positive or None", max_grad_norm is None or (
            isinstance(max_grad_norm, (int, float)) and max_grad_norm > 0))
        _check("net_arch", net_arch, "a sequence of positive ints",
               all(isinstance(n, int) and n > 0 for n in net_arch))

        self._attach(env)
        self.learning_rate, self.batch_size, self.tau, self.gamma = (
            learning_rate, batch_size, float(tau), float(gamma))
        self.buffer_size = buffer_size
        self.learning_starts, self.train_freq, self.gradient_steps = (
            learning_starts, train_freq, gradient_steps)
        self.target_update_interval = target_update_interval
        self.exploration_fraction = exploration_fraction
        self.exploration_initial_eps = exploration_initial_eps
        self.exploration_final_eps = exploration_final_eps
        self.max_grad_norm, self.net_arch, self.double_q = max_grad_norm, tuple(net_arch), double_q

        self.rng = np.random.default_rng(seed)
        self.n_actions, self.observation_size = int(n_actions), int(observation_size)
        self.q_net = self._mlp()
        self.q_net_target = self._mlp()
        self.q_net_target.load_state_dict(self.q_net.state_dict())
        self.optimizer = optim.Adam(self.q_net.parameters(), lr=learning_rate)
        self.replay_buffer = ReplayBuffer(buffer_size, (self.observation_size,), seed=self.rng)
        self.num_timesteps = 0
        self.exploration_rate = float(exploration_initial_eps)
        self.episode_returns: list[float] = []
        self.episode_lengths: list[int] = []
        self.episode_envs: list[int] = []
        self._rows = np.arange(batch_size)

    def _attach(self, env: Any) -> None:
        """Make ``env`` (a plain or vector env, or None) the env ``learn`` steps."""
        self.env: Any = env
        self._eval_env: Any = None
        self.vector = env is not None and is_vector_env(env)
        self.n_envs = int(env.num_envs) if self.vector else 1

    def set_env(self, env: Any) -> None:
        """Learn on ``env`` from now on (Stable-Baselines3's name); its observation size and
        number of actions must be the agent's, else a ValueError names both."""
        sizes = _sizes(env)
        if sizes != (self.observation_size, self.n_actions):
            raise ValueError(f"DQN.set_env: the agent takes {self.observation_size} observation "
                             f"values and {self.n_actions} actions, the env has {sizes[0]} and "
                             f"{sizes[1]}")
        self._attach(env)

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The constructor's arguments that define this agent (all but env, seed, n_envs): what
        ``save`` writes and ``load`` rebuilds the agent from."""
        return {name: (list(self.net_arch) if name == "net_arch" else getattr(self, name))
                for name in HYPERPARAMETERS}

    def _mlp(self) -> nn.Sequential:
        """observation -> Linear -> ReLU -> ... -> Linear -> one Q value per action, initialised
        as nn.Linear is (U(-1/sqrt(fan_in), 1/sqrt(fan_in))) but from the agent's generator."""
        sizes = (self.observation_size, *self.net_arch, self.n_actions)
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            linear = nn.Linear(fan_in, fan_out)
            init.kaiming_uniform_(linear.weight, a=math.sqrt(5), generator=self.rng)
            bound = 1 / math.sqrt(fan_in)
            assert linear.bias is not None  # nn.Linear's default bias=True
            init.uniform_(linear.bias, -bound, bound, generator=self.rng)
            layers += [linear, nn.ReLU()]
        return nn.Sequential(*layers[:-1])

    def __repr__(self) -> str:
        envs = f", n_envs={self.n_envs}" if self.vector else ""
        return (f"DQN(net_arch={self.net_arch}, n_actions={self.n_actions}, "
                f"double_q={self.double_q}{envs}, num_timesteps={self.num_timesteps})")

    # ------------------------------------------------------------ acting
    def _greedy(self, observation: ArrayLike) -> Union[int, np.ndarray]:
        """argmax_a Q(s, a; θ): an int for one observation, an int array for a batch of them."""
        obs = np.asarray(observation, dtype=self.replay_buffer.observations.dtype)
        with no_grad():
            q = self.q_net(as_tensor(obs.reshape(-1, self.observation_size))).array
        actions = q.argmax(axis=1)
        return int(actions[0]) if obs.ndim == 1 else actions

    def predict(self, observation: ArrayLike, state: Optional[tuple[np.ndarray, ...]] = None,
                episode_start: Optional[np.ndarray] = None, deterministic: bool = False
                ) -> tuple[Union[int, np.ndarray], Optional[tuple[np.ndarray, ...]]]:
        """``(action, state)`` for an observation (or a batch of them), Stable-Baselines3's.

        deterministic: argmax_a Q(s, a; θ); else ε-greedy with the current ``exploration_rate``
        (a uniformly random action with probability ε), as SB3's DQN. The action is an int for
        one observation, an int array for a batch; ``state`` is returned as given (no
        recurrent state), ``episode_start`` is unused.
        """
        actions = self._greedy(observation)
        if not deterministic:
            if isinstance(actions, int):
                if self.rng.random() < self.exploration_rate:
                    actions = int(self.rng.integers(self.n_actions))
            else:
                explore = self.rng.random(len(actions)) < self.exploration_rate
                actions = np.where(explore, self.rng.integers(self.n_actions, size=len(actions)),
                                   actions)
        return actions, state

    def evaluate(self, env: Any = None, episodes: int = 10, seed: Optional[int] = None,
                 max_steps: Optional[int] = None) -> Evaluation:
        """Mean return (and success rate) of the greedy policy, an ``rl.tabular.Evaluation``;
        episodes cut after ``max_steps`` steps (``rl.step_limit``). For an agent on a vector
        env, ``env`` defaults to a single env made from its sub-envs' spec."""
        if env is None:
            if self.env is None:
                raise ValueError("DQN.evaluate: the agent has no env (loaded without env=); "
                                 "pass env=")
            if self.vector and self._eval_env is None:
                self._eval_env = single_env(self.env, "DQN.evaluate")
            env = self._eval_env if self.vector else self.env
        return run_policy(env, self._greedy, episodes, seed, max_steps)

    # ------------------------------------------------------------ learning
    def learn(self, total_timesteps: int, callback: Optional[Callable[[DQN], Any]] = None,
              max_steps: Optional[int] = None) -> Episodes:
        """Take ``total_timesteps`` env steps, training as configured; an ``Episodes`` of the
        episodes completed. ``callback(agent)`` runs after each episode; returning False stops.
        An episode is cut (truncated, as by a time limit) after ``max_steps`` steps: by default
        the env's own limit, else ``rl.DEFAULT_MAX_STEPS``.
        """
        _check("total_timesteps", total_timesteps, "a positive int",
               isinstance(total_timesteps, int) and not isinstance(total_timesteps, bool)
               and total_timesteps > 0)
        if self.env is None:
            raise ValueError("DQN.learn: the agent has no env (loaded without env=); pass "
                             "env= to DQN.load or call set_env(env)")
        if self.vector:
            return self._learn_vector(total_timesteps, callback, max_steps)
        limit = step_limit(self.env, max_steps, "DQN.learn")
        env, rng, buffer = self.env, self.rng, self.replay_buffer
        epsilon_at = LinearSchedule(self.exploration_initial_eps, self.exploration_final_eps,
                                    max(self.exploration_fraction * total_timesteps, 1.0))
        first_episode = len(self.episode_returns)
        obs, _ = env.reset(seed=int(rng.integers(2**31)))
        episode_return, episode_length = 0.0, 0
        for t in range(total_timesteps):
            warming_up = self.num_timesteps < self.learning_starts
            self.exploration_rate = 1.0 if warming_up else epsilon_at(t)
            if rng.random() < self.exploration_rate:
                action = int(rng.integers(self.n_actions))
            else:
                action = int(self._greedy(obs))  # one observation: an int
            next_obs, reward, terminated, truncated, _ = env.step(action)
            # store terminated only: a time limit's cut is not the end of the task
            buffer.add(obs, action, reward, next_obs, terminated)
            self.num_timesteps += 1
            episode_return += float(reward)
            episode_length += 1
            truncated = truncated or episode_length >= limit

            if self.num_timesteps % self.target_update_interval == 0:
                self._update_target()
            if self.num_timesteps > self.learning_starts and \
                    self.num_timesteps % self.train_freq == 0:
                self.train(self.gradient_steps)

            if terminated or truncated:
                self.episode_returns.append(episode_return)
                self.episode_lengths.append(episode_length)
                self.episode_envs.append(0)
                episode_return, episode_length = 0.0, 0
                obs, _ = env.reset()
                if callback is not None and callback(self) is False:
                    break
            else:
                obs = next_obs
        return self._episodes(first_episode)

    def _episodes(self, first: int) -> Episodes:
        return Episodes(np.array(self.episode_returns[first:]),
                        np.array(self.episode_lengths[first:], dtype=np.int64),
                        np.array(self.episode_envs[first:], dtype=np.int64))

    def _learn_vector(self, total_timesteps: int, callback: Optional[Callable[[DQN], Any]],
                      max_steps: Optional[int]) -> Episodes:
        """``learn`` on a vector env: per vector step, one ε-greedy action per sub-env from one
        batched forward pass; the real transitions of all sub-envs into the buffer; training
        and target updates whenever the transition count crosses a multiple of their
        intervals. Ends at the first vector step that reaches ``total_timesteps`` transitions
        (at most n_envs − 1 more)."""
        limit = vector_step_limit(self.env, max_steps, "DQN.learn")
        rng, buffer, n = self.rng, self.replay_buffer, self.n_envs
        epsilon_at = LinearSchedule(self.exploration_initial_eps, self.exploration_final_eps,
                                    max(self.exploration_fraction * total_timesteps, 1.0))
        first_episode = len(self.episode_returns)
        runner = VectorRunner(self.env, limit)
        obs = runner.reset(seed=int(rng.integers(2**31)))
        taken = 0
        while taken < total_timesteps:
            warming_up = self.num_timesteps < self.learning_starts
            self.exploration_rate = 1.0 if warming_up else epsilon_at(taken)
            explore = rng.random(n) < self.exploration_rate
            actions = rng.integers(self.n_actions, size=n)
            if not explore.all():  # one forward pass for every sub-env's observation
                actions = np.where(explore, actions, self._greedy(obs.reshape(n, -1)))
            step = runner.step(actions)
            buffer.add_batch(step.observations.reshape(len(step.envs), -1), step.actions,
                             step.rewards, step.next_observations.reshape(len(step.envs), -1),
                             step.terminated)
            before = self.num_timesteps
            self.num_timesteps += len(step.envs)
            taken += len(step.envs)
            if self.num_timesteps // self.target_update_interval > \
                    before // self.target_update_interval:
                self._update_target()
            phases = self.num_timesteps // self.train_freq - before // self.train_freq
            if phases and self.num_timesteps > self.learning_starts:
                self.train(self.gradient_steps * phases)
            obs = runner.observations
            stop = False
            for env_index, episode_return, episode_length in step.finished:
                self.episode_returns.append(episode_return)
                self.episode_lengths.append(episode_length)
                self.episode_envs.append(env_index)
                if callback is not None and callback(self) is False:
                    stop = True
                    break
            if stop:
                break
        return self._episodes(first_episode)

    def train(self, gradient_steps: int) -> None:
        """``gradient_steps`` steps of gradient descent on the TD error of replayed minibatches."""
        rows = self._rows
        for _ in range(gradient_steps):
            # 1. a minibatch of transitions, sampled uniformly from the replay buffer
            batch = self.replay_buffer.sample(self.batch_size)
            # 2. the TD target y, a constant: no gradient flows into it
            with no_grad():
                next_q = self.q_net_target(as_tensor(batch.next_observations)).array
                if self.double_q:
                    # the online network picks a′, the target network values it
                    best = self.q_net(as_tensor(batch.next_observations)).array.argmax(axis=1)
                    next_value = next_q[rows, best]
                else:
                    next_value = next_q.max(axis=1)
                # (1 − terminated): nothing follows a terminal state; a truncated one bootstraps
                target = batch.rewards + self.gamma * next_value * ~batch.terminated
            # 3. Q(s, a; θ) of the actions taken
            q = self.q_net(as_tensor(batch.observations))[rows, batch.actions]
            # 4. the Huber loss between them
            loss = F.smooth_l1_loss(q, as_tensor(target))
            # 5. backpropagate, clip the gradient's global norm, take one Adam step
            self.optimizer.zero_grad()
            loss.backward()
            if self.max_grad_norm is not None:
                optim.clip_grad_norm_(self.q_net.parameters(), self.max_grad_norm)
            self.optimizer.step()

    def _update_target(self) -> None:
        """θ⁻ ← τ θ + (1 − τ) θ⁻, in place (τ = 1 copies exactly)."""
        for target, online in zip(self.q_net_target.parameters(), self.q_net.parameters()):
            if self.tau == 1.0:
                np.copyto(target.array, online.array)
            else:
                target.array *= 1.0 - self.tau
                target.array += self.tau * online.array

    # ------------------------------------------------------------ files
    def save(self, path: PathLike) -> None:
        """Write the agent to ``path``, one safetensors file: the Q-network's weights, and as
        metadata its architecture (observation size, ``net_arch``, number of actions), every
        hyperparameter (``hyperparameters``) and ``num_timesteps``; ``DQN.load`` rebuilds it."""
        io.save(self.q_net.state_dict(), path, metadata={
            "agent": "DQN", "observation_size": str(self.observation_size),
            "n_actions": str(self.n_actions), "net_arch": ",".join(map(str, self.net_arch)),
            "hyperparameters": json.dumps(self.hyperparameters),
            "num_timesteps": str(self.num_timesteps)})

    @classmethod
    def load(cls, path: PathLike, env: Any = None, **kwargs: Any) -> DQN:
        """A new agent rebuilt from a file written by ``save``, as Stable-Baselines3's
        ``DQN.load(path, env=None, **kwargs)``: the architecture and hyperparameters come from
        the file (``kwargs`` override hyperparameters, e.g. ``exploration_final_eps``, or set
        ``seed``), the weights go into both networks. Without ``env`` the agent can
        ``predict`` but not ``learn`` (``set_env`` gives it one); with ``env``, its sizes must
        match the file's. To load weights into this agent instead: ``set_parameters``.
        """
        metadata = _agent_metadata(path, "DQN.load")
        hyperparameters = {**json.loads(metadata["hyperparameters"]), **kwargs}
        seed = hyperparameters.pop("seed", None)
        unknown = sorted(set(hyperparameters) - set(HYPERPARAMETERS))
        if unknown:
            raise TypeError(f"DQN.load: unknown hyperparameters {unknown}; DQN takes "
                            f"{list(HYPERPARAMETERS)}")
        hyperparameters["net_arch"] = tuple(hyperparameters["net_arch"])
        agent = cls.__new__(cls)
        agent._setup(None, int(metadata["observation_size"]), int(metadata["n_actions"]), seed,
                     **hyperparameters)
        if env is not None:
            agent.set_env(env)
        agent.set_parameters(path)
        agent.num_timesteps = int(metadata.get("num_timesteps", 0))
        return agent

    def set_parameters(self, path: PathLike) -> DQN:
        """Load Q-network weights saved by ``save`` into both networks of this agent (same
        architecture); returns the agent."""
        state = io.load(path)
        self.q_net.load_state_dict(state)
        self.q_net_target.load_state_dict(state)
        return self


HYPERPARAMETERS = ("learning_rate", "buffer_size", "learning_starts", "batch_size", "tau",
                   "gamma", "train_freq", "gradient_steps", "target_update_interval",
                   "exploration_fraction", "exploration_initial_eps", "exploration_final_eps",
                   "max_grad_norm", "net_arch", "double_q")


def _sizes(env: Any) -> tuple[int, int]:
    """(observation size, number of actions) of a flat-Box, Discrete-action env (or vector
    env); a ValueError names a space DQN cannot act in."""
    obs_space: Any  # a Box and a Discrete, checked by name (no gymnasium import here)
    action_space: Any
    if is_vector_env(env):
        obs_space, action_space = env.single_observation_space, env.single_action_space
    else:
        obs_space, action_space = env.observation_space, env.action_space
    if type(obs_space).__name__ != "Box" or len(obs_space.shape) != 1:
        raise ValueError(f"DQN: needs a flat Box observation space, got {obs_space!r}")
    if type(action_space).__name__ != "Discrete" or int(action_space.start) != 0:
        raise ValueError(f"DQN: needs a Discrete action space numbered from 0, "
                         f"got {action_space!r}")
    return int(obs_space.shape[0]), int(action_space.n)


def _agent_metadata(path: PathLike, who: str) -> dict[str, str]:
    """The metadata of an agent file written by ``DQN.save`` (a ValueError otherwise)."""
    metadata = io.load_metadata(path) or {}
    if metadata.get("agent") != "DQN" or "hyperparameters" not in metadata:
        raise ValueError(f"{who}: {path} is not a DQN agent file (written by DQN.save); its "
                         f"metadata names agent {metadata.get('agent')!r}")
    return metadata
