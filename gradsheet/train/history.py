"""History: what ``fit`` records, one entry per epoch for every logged quantity."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class History:
    """Per-epoch logs: ``history.history["loss"]`` (as Keras) or ``history.loss``.

    Attributes:
        history: dict from a name (loss, accuracy, val_loss, val_accuracy, lr, ...) to a
            list with one value per completed epoch.
        epoch: the indices (from 0) of the completed epochs.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: Mapping[str, Any]) -> None:
        """Record the ``logs`` dict of epoch ``epoch``."""
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def state_dict(self) -> dict[str, Any]:
        """The History as plain data, ``{"epoch": [...], "history": {name: [...]}}`` (what a
        checkpoint stores)."""
        return {"epoch": self.epoch, "history": self.history}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> History:
        """The History whose ``state_dict()`` is ``state`` (a checkpoint's ``"history"``)."""
        history = cls()
        history.epoch, history.history = list(state["epoch"]), dict(state["history"])
        return history

    def __getattr__(self, name: str) -> list[Any]:
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(f"History has no {name!r}; it recorded {sorted(history)}")

    def __getitem__(self, name: str) -> list[Any]:
        return self.history[name]

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        last = ", ".join(f"{name}={values[-1]:.4g}" for name, values in self.history.items())
        return f"History({len(self)} epochs; last: {last})"
