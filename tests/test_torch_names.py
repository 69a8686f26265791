"""Every operation issue 10 lists exists in gradsheet wherever PyTorch has it: as a function
(gradsheet.X, gradsheet.linalg.X, F.X), as a Tensor method, and as its in-place `_` twin.
The presence is checked against torch 2.13 itself, so a name torch lacks is not required."""
import pytest

import gradsheet as gs
import gradsheet.linalg
import gradsheet.nn.functional as F
from tests.helpers import torch_or_skip

torch = torch_or_skip()

TENSOR_OPS = """
gather scatter scatter_add scatter_reduce index_select index_add index_fill take_along_dim
masked_fill masked_select masked_scatter nonzero where narrow unbind select diag diagonal
diag_embed tril triu eye flip roll repeat repeat_interleave tile unflatten movedim swapaxes
view_as reshape_as expand_as type_as new_zeros new_ones new_full new_empty new_tensor empty
empty_like full_like rand_like randn_like randint_like randperm randint multinomial bernoulli
normal from_numpy as_tensor
sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh rsqrt log1p expm1 log2 log10
exp2 erf erfc erfinv sign sgn floor ceil round trunc frac fmod remainder reciprocal square lerp
hypot logaddexp xlogy isnan isinf isfinite nan_to_num isclose allclose equal
logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not
any all prod cumsum cumprod cummax cummin logcumsumexp sort argsort topk kthvalue median mode
unique amax amin aminmax norm dist std_mean var_mean count_nonzero mm bmm mv dot outer addmm
baddbmm einsum tensordot kron cross cdist
add sub mul div pow clamp zero fill copy abs exp log sqrt
""".split()

INPLACE_FAMILY = "add_ sub_ mul_ div_ pow_ clamp_ zero_ fill_ copy_ normal_ uniform_ " \
                 "exponential_ bernoulli_ masked_fill_ index_add_ scatter_".split()

LINALG = "norm vector_norm inv det solve cholesky qr svd eigh".split()

FUNCTIONAL = """
pad interpolate unfold fold one_hot normalize cosine_similarity pairwise_distance embedding
relu6 hardtanh hardswish hardsigmoid mish selu celu logsigmoid softsign softmin glu prelu
threshold dropout1d dropout2d dropout3d alpha_dropout pixel_shuffle pixel_unshuffle kl_div
poisson_nll_loss gaussian_nll_loss margin_ranking_loss hinge_embedding_loss
cosine_embedding_loss triplet_margin_loss multilabel_soft_margin_loss multi_margin_loss
soft_margin_loss
""".split()


@pytest.mark.parametrize("name", TENSOR_OPS)
def test_function_method_and_in_place_twin_where_torch_has_them(name):
    missing = []
    if hasattr(torch, name) and not hasattr(gs, name):
        missing.append(f"gradsheet.{name}")
    if hasattr(torch.Tensor, name) and not hasattr(gs.Tensor, name):
        missing.append(f"Tensor.{name}")
    if hasattr(torch.Tensor, name + "_") and not hasattr(gs.Tensor, name + "_"):
        missing.append(f"Tensor.{name}_")
    assert not missing, missing


@pytest.mark.parametrize("name", INPLACE_FAMILY)
def test_the_in_place_family_issue_10_names(name):
    assert hasattr(torch.Tensor, name) and callable(getattr(gs.Tensor, name))


@pytest.mark.parametrize("name", LINALG)
def test_linalg_functions(name):
    assert hasattr(torch.linalg, name) and callable(getattr(gradsheet.linalg, name))


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_names(name):
    assert hasattr(torch.nn.functional, name) and callable(getattr(F, name))


def test_operators_floor_division_and_modulo():
    x = gs.tensor([7.0, -7.0])
    assert (x // 2).tolist() == (torch.tensor([7.0, -7.0]) // 2).tolist()
    assert (x % 3).tolist() == (torch.tensor([7.0, -7.0]) % 3).tolist()
