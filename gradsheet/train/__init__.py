"""Training: fit / evaluate / predict, metrics, callbacks and the History they return.

    history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
                        train_set, val_data=val_set, epochs=10)
"""
from . import metrics
from .callbacks import Callback, EarlyStopping, ModelCheckpoint
from .history import History
from .loop import evaluate, fit, predict

__all__ = ["Callback", "EarlyStopping", "History", "ModelCheckpoint", "evaluate", "fit",
           "metrics", "predict"]
