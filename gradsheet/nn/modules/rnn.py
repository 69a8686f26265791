"""torch.nn.modules.rnn: RNNBase, RNN, LSTM, GRU and the cells, as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'RNNBase', 'RNN', 'LSTM', 'GRU', 'RNNCellBase', 'RNNCell', 'LSTMCell', 'GRUCell',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
