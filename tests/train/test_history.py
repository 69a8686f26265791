import pytest

from gradsheet.train import History


def test_history_records_per_epoch_lists():
    history = History()
    history.append(0, {"loss": 1.0, "lr": 0.1})
    history.append(1, {"loss": 0.5, "lr": 0.1})
    assert history.history == {"loss": [1.0, 0.5], "lr": [0.1, 0.1]}
    assert history.loss == [1.0, 0.5] and history["lr"] == [0.1, 0.1]
    assert history.epoch == [0, 1] and len(history) == 2
    assert "loss=0.5" in repr(history)
    with pytest.raises(AttributeError, match=r"'val_loss'.*\['loss', 'lr'\]"):
        _ = history.val_loss
