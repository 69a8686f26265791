"""`import gradsheet` needs only the core dependencies (numpy, tqdm, safetensors): the
extras' packages (scipy, scikit-learn, gymnasium, matplotlib, onnx, mpi4py, torch) load only
when a feature that needs them is used."""
import subprocess
import sys

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ImportError('blocked ' + name)
sys.meta_path.insert(0, Block())
import gradsheet as gs
import gradsheet.nn as nn
import gradsheet.nn.functional as F
import gradsheet.optim
x = gs.randn(4, 3, requires_grad=True)
F.cross_entropy(nn.Linear(3, 2)(x), gs.tensor([0, 1, 0, 1])).backward()
print(x.grad.shape)
"""
EXTRAS = ("scipy", "sklearn", "gymnasium", "matplotlib", "onnx", "onnxruntime", "mpi4py", "torch")


def test_core_import_and_a_training_step_need_no_extra():
    done = subprocess.run([sys.executable, "-c", BLOCK.format(blocked=EXTRAS)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(4, 3)"
