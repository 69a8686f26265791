"""Which fused op each reference function mirrors: one decorator and the table it fills.

A reference function is the readable twin of a fused fast path. ``@mirrors(fused, faster)``
records the fused object (the Function class or optimizer the tests compare it with) and one
sentence on what the fused version does differently and why that is faster; the tour shows
both beside the reference code.
"""

# fused object -> the reference function that mirrors it
TWINS = {}


def mirrors(fused, faster):
    """Mark a function as the reference for ``fused``; ``faster`` says what the fused op does
    differently and why it is faster (one sentence)."""
    def mark(function):
        function.fused = fused
        function.faster = faster
        TWINS.setdefault(fused, function)
        return function
    return mark


def fused_name(obj):
    """The dotted name of a fused object: ``gradsheet.ops.recurrent.LSTM``."""
    return f"{obj.__module__}.{obj.__qualname__}"
