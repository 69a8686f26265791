"""Binary math, elementwise and broadcast: atan2, fmod, remainder, floor division, hypot,
lerp, logaddexp, xlogy, ..., each with its gradients.
"""

__all__ = []
