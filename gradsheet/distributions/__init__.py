"""``gradsheet.distributions``: PyTorch's ``torch.distributions`` on gradsheet's ops.

Parameterisable probability distributions with sampling (``sample``; ``rsample`` for
reparameterised, differentiable samples), ``log_prob``, ``entropy``, moments, ``expand``,
argument validation (``validate_args``, ``Distribution.set_default_validate_args``) and
``kl_divergence`` with its ``register_kl`` registry. Samples come from gradsheet's seeded
generator: ``gs.manual_seed`` makes them reproducible (they cannot equal torch's draws).

    >>> from gradsheet.distributions import Categorical
    >>> dist = Categorical(logits=policy(state))
    >>> action = dist.sample()
    >>> loss = -(dist.log_prob(action) * advantage).mean()   # REINFORCE
"""
from . import constraints
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .distribution import Distribution, ExponentialFamily
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Beta", "Categorical", "Distribution", "ExponentialFamily", "Gamma",
    "Independent", "MultivariateNormal", "Normal", "Uniform", "constraints", "kl_divergence",
    "register_kl",
]
