"""Training: fit / evaluate / predict, metrics, callbacks (progress, loggers) and the History
they return, and its training curves (plot_history).

    history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
                        train_set, val_data=val_set, epochs=10,
                        callbacks=[train.CSVLogger("log.csv"), train.TensorBoard("logs")])
"""
from . import metrics
from .callbacks import (Callback, EarlyStopping, LambdaCallback, LearningRateMonitor,
                        ModelCheckpoint)
from .history import History
from .loggers import CSVLogger, TensorBoard
from .curves import plot_history
from .loop import evaluate, fit, predict
from .progress import ProgressBar

__all__ = ["CSVLogger", "Callback", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateMonitor", "ModelCheckpoint", "ProgressBar", "TensorBoard", "evaluate",
           "fit", "metrics", "plot_history", "predict"]
