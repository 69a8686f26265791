"""Whether operations record the graph: ``no_grad()`` and ``enable_grad()``."""
import functools


class _State:
    enabled = True


state = _State()


def is_grad_enabled():
    return state.enabled


class _GradMode:
    """A context manager and decorator that sets gradient recording on or off."""

    mode = True

    def __enter__(self):
        self._previous = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self._previous

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Record nothing inside: results have ``requires_grad=False`` and hold no graph."""

    mode = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """``with set_grad_enabled(flag):`` records the graph when ``flag`` is true."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
