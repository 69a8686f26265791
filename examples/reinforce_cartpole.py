"""REINFORCE on CartPole in the style of PyTorch's reinforcement_learning example, on gradsheet.

Only the imports differ from a PyTorch program. The policy is a small network giving
action probabilities; each episode samples actions from `Categorical(probs)`, keeps
their `log_prob`, and after the episode takes one gradient step on
    L = -sum_t log pi(a_t | s_t) * G_t,   G_t = sum_k gamma^k r_{t+k} (standardised),
the policy-gradient theorem's estimator (Williams, 1992).

    python examples/reinforce_cartpole.py --episodes 300
"""
import argparse

import gymnasium as gym
import numpy as np

import gradsheet as torch
import gradsheet.nn as nn
import gradsheet.nn.functional as F
import gradsheet.optim as optim
from gradsheet.distributions import Categorical


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(128, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


def select_action(policy, state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode(policy, optimizer, gamma, eps):
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]


def main():
    parser = argparse.ArgumentParser(description='gradsheet REINFORCE example')
    parser.add_argument('--gamma', type=float, default=0.99)
    parser.add_argument('--seed', type=int, default=543)
    parser.add_argument('--episodes', type=int, default=300)
    parser.add_argument('--log-interval', type=int, default=50)
    args = parser.parse_args()

    env = gym.make('CartPole-v1')
    env.reset(seed=args.seed)
    torch.manual_seed(args.seed)
    policy = Policy()
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()

    lengths = []
    for i_episode in range(1, args.episodes + 1):
        state, _ = env.reset()
        for t in range(1, 10000):  # CartPole-v1 truncates at 500 steps
            action = select_action(policy, state)
            state, reward, terminated, truncated, _ = env.step(action)
            policy.rewards.append(reward)
            if terminated or truncated:
                break
        lengths.append(t)
        finish_episode(policy, optimizer, args.gamma, eps)
        if i_episode % args.log_interval == 0:
            print(f'Episode {i_episode}\tmean length of the last {args.log_interval}: '
                  f'{np.mean(lengths[-args.log_interval:]):.1f}')
    first, last = np.mean(lengths[:50]), np.mean(lengths[-50:])
    print(f"mean episode length {first:.1f} early, {last:.1f} late (the first and the last "
          "fifty episodes)")


if __name__ == '__main__':
    main()
