"""Linear algebra (issue 10): products, einsum/tensordot, kron, cross, cdist, trace, powers,
chain products, and gradsheet.linalg's decompositions and solvers: values and every input
gradient against torch in float64, gradchecks, batched and zero-size inputs, methods, in-place
twins and errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradsheet as gs
import gradsheet.linalg as gla
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()
TL = torch.linalg


def both(name, *args, **kwargs):
    """(gradsheet fn, torch fn) calling ``name`` with the inputs then ``args``/``kwargs``."""
    def make(module):
        fn = module
        for part in name.split("."):
            fn = getattr(fn, part)
        return lambda *x: fn(*x, *args, **kwargs)
    return make(gs), make(torch)


def spd(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetric(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return a + np.swapaxes(a, -1, -2)


def well_conditioned(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) + 3 * np.eye(shape[-1])


def sym(x):
    """(x + x^T) / 2: lets gradcheck perturb a symmetric input through every entry."""
    return (x + x.transpose(-1, -2)) * 0.5


# ---------------------------------------------------------------- products
PRODUCTS = {
    "mm": ("mm", [[(2, 3), (3, 4)], [(0, 3), (3, 4)], [(2, 0), (0, 4)], [(1, 1), (1, 0)]]),
    "bmm": ("bmm", [[(2, 2, 3), (2, 3, 4)], [(0, 2, 3), (0, 3, 4)], [(3, 1, 2), (3, 2, 0)]]),
    "mv": ("mv", [[(2, 3), (3,)], [(0, 3), (3,)], [(2, 0), (0,)]]),
    "dot": ("dot", [[(3,), (3,)], [(0,), (0,)]]),
    "vdot": ("vdot", [[(4,), (4,)]]),
    "inner": ("inner", [[(2, 3), (4, 5, 3)], [(3,), (3,)], [(), (4, 3)], [(2, 3), ()],
                        [(0, 3), (2, 3)]]),
    "outer": ("outer", [[(2,), (3,)], [(0,), (3,)]]),
    "ger": ("ger", [[(2,), (3,)]]),
    "kron": ("kron", [[(2, 3), (4, 1, 2)], [(), (3,)], [(2,), (3,)], [(2, 0), (3, 2)]]),
    "tensordot": ("tensordot", [[(2, 3, 4), (3, 4, 5)], [(2, 3), (2, 3)], [(4, 0, 2), (0, 2, 3)]]),
    "trace": ("trace", [[(3, 4)], [(3, 3)], [(0, 2)]]),
    "chain_matmul": ("chain_matmul", [[(2, 3), (3, 4), (4, 2)], [(2, 3), (3, 0), (0, 2)]]),
}
PRODUCT_CASES = [(name, shapes) for name, (_, cases) in PRODUCTS.items() for shapes in cases]


@pytest.mark.parametrize("name, shapes", PRODUCT_CASES)
def test_product_matches_torch_and_gradchecks(name, shapes):
    gs_fn, torch_fn = both(PRODUCTS[name][0])
    arrays = random_inputs(shapes, seed=len(shapes) + sum(map(len, shapes)))
    check_against_torch(gs_fn, torch_fn, arrays)
    check_gradients(gs_fn, arrays)


ADD_PRODUCTS = {
    "addmm": [(2, 3), (3, 4)], "addmv": [(2, 3), (3,)], "addbmm": [(5, 2, 3), (5, 3, 4)],
    "baddbmm": [(5, 2, 3), (5, 3, 4)], "addr": [(2,), (4,)],
}
ADD_INPUT_SHAPES = {
    "addmm": [(2, 4), (4,), (1, 4), (2, 1), ()], "addmv": [(2,), (1,), ()],
    "addbmm": [(2, 4), (4,), ()], "baddbmm": [(5, 2, 4), (2, 1), ()], "addr": [(2, 4), (4,), ()],
}


@pytest.mark.parametrize("name", list(ADD_PRODUCTS))
@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, 2.0), (0, -1.5), (2, 0)])
def test_add_product_matches_torch_with_broadcast_input(name, beta, alpha):
    gs_fn, torch_fn = both(name, beta=beta, alpha=alpha)
    for i, input_shape in enumerate(ADD_INPUT_SHAPES[name]):
        arrays = random_inputs([input_shape] + ADD_PRODUCTS[name], seed=i)
        check_against_torch(gs_fn, torch_fn, arrays)
    check_gradients(gs_fn, arrays)


@pytest.mark.parametrize("name", list(ADD_PRODUCTS))
def test_add_product_with_beta_zero_ignores_nan_in_input_as_torch(name):
    gs_fn, torch_fn = both(name, beta=0)
    arrays = random_inputs([ADD_INPUT_SHAPES[name][0]] + ADD_PRODUCTS[name], seed=2)
    arrays[0][...] = np.nan
    out = check_against_torch(gs_fn, torch_fn, arrays)
    assert np.all(np.isfinite(out.array))


@pytest.mark.parametrize("name", list(ADD_PRODUCTS))
def test_add_product_method_and_in_place_twin(name):
    input_shape = ADD_INPUT_SHAPES[name][0]
    arrays = random_inputs([input_shape] + ADD_PRODUCTS[name], seed=4)
    g = [gs.tensor(a) for a in arrays]
    t = [torch.tensor(a) for a in arrays]
    expected = getattr(t[0], name)(t[1], t[2], beta=0.5, alpha=3)
    np.testing.assert_allclose(getattr(g[0], name)(g[1], g[2], beta=0.5, alpha=3).array,
                               expected.numpy(), rtol=1e-6)
    result = getattr(g[0], name + "_")(g[1], g[2], beta=0.5, alpha=3)
    assert result is g[0]
    np.testing.assert_allclose(g[0].array, expected.numpy(), rtol=1e-6)


def test_in_place_add_product_records_gradients_as_torch():
    arrays = random_inputs([(2, 4), (2, 3), (3, 4)], seed=8)

    def gs_fn(i, a, b):
        return (i * 1.0).addmm_(a, b, alpha=2) * 3

    def torch_fn(i, a, b):
        return (i * 1.0).addmm_(a, b, alpha=2) * 3
    check_against_torch(gs_fn, torch_fn, arrays)


METHODS = [
    ("mm", [(2, 3), (3, 4)]), ("bmm", [(2, 2, 3), (2, 3, 4)]), ("mv", [(2, 3), (3,)]),
    ("dot", [(3,), (3,)]), ("vdot", [(3,), (3,)]), ("inner", [(2, 3), (3,)]),
    ("outer", [(2,), (3,)]), ("ger", [(2,), (3,)]), ("kron", [(2, 2), (3,)]),
    ("cross", [(4, 3), (4, 3)]), ("trace", [(3, 3)]),
]


@pytest.mark.parametrize("name, shapes", METHODS)
def test_tensor_methods_match_torch(name, shapes):
    arrays = random_inputs(shapes, seed=5)
    check_against_torch(lambda x, *rest: getattr(x, name)(*rest),
                        lambda x, *rest: getattr(x, name)(*rest), arrays)


def test_products_keep_float32_and_promote_mixed_dtypes():
    a, b = gs.randn(2, 3), gs.randn(3, 4)
    for y in (gs.mm(a, b), gs.einsum("ij,jk", a, b), gs.tensordot(a, b, 1), gs.kron(a, b),
              gs.cdist(a, b.t()), gs.addmm(gs.zeros(4), a, b)):
        assert y.dtype == np.float32
    assert gs.mm(a, b.double()).dtype == np.float64
    ints = gs.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(gs.mm(ints, ints).array, np.array([[7, 10], [15, 22]]))
    assert gs.trace(ints).dtype == np.int64


# ---------------------------------------------------------------- einsum
EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk", [(2, 2, 3), (2, 3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ji", [(2, 3)]), ("...ij,...jk", [(5, 2, 3), (3, 4)]),
    ("i,i", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]), ("ij,kl->ijkl", [(2, 3), (1, 2)]),
    ("iij,jk->ik", [(2, 2, 3), (3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc,cd,de", [(2, 3), (3, 4), (4, 2), (2, 3)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("ij,jk", [(2, 3), (1, 4)]), ("i...,i...->...", [(3, 2, 4), (3, 1, 4)]),
    ("ijk,ikl->", [(2, 3, 4), (2, 4, 5)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ii,ij->j", [(3, 3), (3, 4)]), ("i,j,k->ijk", [(2,), (3,), (4,)]),
    ("ab,ab,ab->a", [(2, 3), (2, 3), (2, 3)]), ("Ab,bA", [(2, 3), (3, 2)]),
    ("b i j , b j k -> b k i", [(2, 2, 3), (2, 3, 4)]), ("...,...->...", [(2, 3), (3,)]),
    ("ij,jk->ik", [(0, 3), (3, 4)]), ("ij,jk->ik", [(2, 0), (0, 4)]), ("i,->i", [(3,), ()]),
    ("bij,jk->bik", [(0, 2, 3), (3, 4)]), ("ij...,jk...->ik...", [(2, 3, 5), (3, 4, 1)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUM)
def test_einsum_matches_torch_and_gradchecks(equation, shapes):
    arrays = random_inputs(shapes, seed=len(equation))
    check_against_torch(lambda *x: gs.einsum(equation, *x), lambda *x: torch.einsum(equation, *x),
                        arrays)
    check_gradients(lambda *x: gs.einsum(equation, *x), arrays)


def test_einsum_operand_list_and_sublist_forms_match_torch():
    arrays = random_inputs([(2, 3), (3, 4)], seed=3)
    check_against_torch(lambda a, b: gs.einsum("ij,jk", [a, b]),
                        lambda a, b: torch.einsum("ij,jk", [a, b]), arrays)
    check_against_torch(lambda a, b: gs.einsum(a, [0, 1], b, [1, 2], [0, 2]),
                        lambda a, b: torch.einsum(a, [0, 1], b, [1, 2], [0, 2]), arrays)
    check_against_torch(lambda a, b: gs.einsum(a, [Ellipsis, 1], b, [1, 2]),
                        lambda a, b: torch.einsum(a, [Ellipsis, 1], b, [1, 2]), arrays)


@settings(max_examples=20, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       n=st.integers(0, 3), k=st.integers(0, 3), m=st.integers(1, 3), seed=st.integers(0, 99))
def test_einsum_property_batched_matmul_with_broadcast_batches(shapes, n, k, m, seed):
    shape_a, shape_b = shapes.input_shapes
    arrays = random_inputs([shape_a + (n, k), shape_b + (k, m)], seed=seed)
    check_against_torch(lambda a, b: gs.einsum("...ij,...jk->...ik", a, b),
                        lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), arrays)


def test_einsum_of_two_operands_is_one_gemm_and_its_backward_too(monkeypatch):
    import gradsheet.ops.linalg as module
    calls = {"matmul": 0, "einsum": []}
    real_matmul, real_einsum = np.matmul, np.einsum

    def counting_matmul(*args, **kwargs):
        calls["matmul"] += 1
        return real_matmul(*args, **kwargs)

    def recording_einsum(*args, **kwargs):
        calls["einsum"].append(args[0])
        return real_einsum(*args, **kwargs)
    a = gs.randn(4, 2, 3, dtype=gs.float64, requires_grad=True)
    b = gs.randn(4, 3, 5, dtype=gs.float64, requires_grad=True)
    monkeypatch.setattr(module.np, "matmul", counting_matmul)
    monkeypatch.setattr(module.np, "einsum", recording_einsum)
    y = gs.einsum("bij,bjk->bki", a, b)
    assert calls["matmul"] == 1 and calls["einsum"] == []
    y.sum().backward()
    assert calls["matmul"] == 3 and calls["einsum"] == []  # one GEMM per input gradient
    monkeypatch.undo()
    np.testing.assert_allclose(y.array, np.einsum("bij,bjk->bki", a.array, b.array), rtol=1e-12)


def test_einsum_of_three_operands_runs_as_pairwise_gemms(monkeypatch):
    import gradsheet.ops.linalg as module
    calls = {"matmul": 0}
    real_matmul = np.matmul

    def counting_matmul(*args, **kwargs):
        calls["matmul"] += 1
        return real_matmul(*args, **kwargs)
    arrays = random_inputs([(2, 30), (30, 40), (40, 3)], seed=1)
    monkeypatch.setattr(module.np, "matmul", counting_matmul)
    y = gs.einsum("ij,jk,kl->il", *[gs.tensor(a) for a in arrays])
    assert calls["matmul"] == 2
    monkeypatch.undo()
    np.testing.assert_allclose(y.array, arrays[0] @ arrays[1] @ arrays[2], rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(0, 3), min_size=4, max_size=4), ndims=st.integers(0, 2),
       seed=st.integers(0, 99))
def test_tensordot_property_with_an_int_and_with_lists(sizes, ndims, seed):
    a_shape, b_shape = tuple(sizes[:2]) + tuple(sizes[2:2 + ndims]), tuple(sizes[2:2 + ndims]) + (2,)
    arrays = random_inputs([a_shape, b_shape], seed=seed)
    check_against_torch(lambda a, b: gs.tensordot(a, b, dims=ndims),
                        lambda a, b: torch.tensordot(a, b, dims=ndims), arrays)
    dims = (list(range(2, 2 + ndims)), list(range(ndims)))
    check_against_torch(lambda a, b: gs.tensordot(a, b, dims=dims),
                        lambda a, b: torch.tensordot(a, b, dims=dims), arrays)


def test_tensordot_with_permuted_dim_lists_gradchecks():
    arrays = random_inputs([(2, 3, 4), (4, 3, 5)], seed=2)
    fn = (lambda a, b: gs.tensordot(a, b, dims=([1, 2], [1, 0])),
          lambda a, b: torch.tensordot(a, b, dims=([1, 2], [1, 0])))
    check_against_torch(*fn, arrays)
    check_gradients(fn[0], arrays)


# ---------------------------------------------------------------- cross, cdist, powers, chains
@pytest.mark.parametrize("shapes, dim", [
    ([(2, 1, 3), (1, 4, 3)], None), ([(3, 4), (3, 4)], None), ([(4, 3, 3), (4, 3, 3)], None),
    ([(4, 3, 3), (4, 3, 3)], 2), ([(3,), (3,)], -1), ([(0, 3), (1, 3)], 1),
])
def test_cross_matches_torch_and_gradchecks(shapes, dim):
    arrays = random_inputs(shapes, seed=1)
    check_against_torch(lambda a, b: gs.cross(a, b, dim), lambda a, b: torch.cross(a, b, dim),
                        arrays)
    check_gradients(lambda a, b: a.cross(b, dim), arrays)


def test_linalg_cross_defaults_to_the_last_dim():
    arrays = random_inputs([(3, 2, 3), (1, 2, 3)], seed=3)
    check_against_torch(gla.cross, TL.cross, arrays)
    check_against_torch(lambda a, b: gla.cross(a, b, dim=0), lambda a, b: TL.cross(a, b, dim=0),
                        random_inputs([(3, 2), (3, 2)], seed=4))


P_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, np.inf]


@pytest.mark.parametrize("p", P_VALUES)
@settings(max_examples=8, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2),
       rows=st.tuples(st.integers(0, 4), st.integers(0, 4)), m=st.integers(0, 3),
       seed=st.integers(0, 99))
def test_cdist_property_matches_torch(p, shapes, rows, m, seed):
    shape_a, shape_b = shapes.input_shapes
    arrays = random_inputs([shape_a + (rows[0], m), shape_b + (rows[1], m)], seed=seed)
    check_against_torch(lambda a, b: gs.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p),
                        arrays)


@pytest.mark.parametrize("p", P_VALUES)
def test_cdist_at_zero_distance_and_ties_matches_torch(p):
    x1 = np.array([[0.0, 0.0, 1.0], [1.0, 2.0, 2.0], [1.0, 2.0, -2.0]])
    x2 = np.array([[0.0, 0.0, 1.0], [1.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    check_against_torch(lambda a, b: gs.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p),
                        [x1, x2])
    check_against_torch(lambda a: gs.cdist(a, a, p=p), lambda a: torch.cdist(a, a, p=p), [x1])


@pytest.mark.parametrize("p", [0.5, 1.0, 1.5, 2.0, 3.0, np.inf])
def test_cdist_gradchecks(p):
    check_gradients(lambda a, b: gs.cdist(a, b, p=p), random_inputs([(2, 3, 4), (2, 5, 4)], seed=6))


def test_cdist_p2_uses_the_gemm_identity_and_is_exact_at_zero(monkeypatch):
    import gradsheet.ops.linalg as module
    calls = {"matmul": 0}
    real_matmul = np.matmul

    def counting_matmul(*args, **kwargs):
        calls["matmul"] += 1
        return real_matmul(*args, **kwargs)
    x = np.random.default_rng(0).standard_normal((50, 8)) * 100
    monkeypatch.setattr(module.np, "matmul", counting_matmul)
    d = gs.cdist(gs.tensor(x), gs.tensor(x))
    assert calls["matmul"] == 1
    monkeypatch.undo()
    assert np.all(np.diag(d.array) == 0)
    np.testing.assert_allclose(d.array, np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1)), rtol=1e-9)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (0, 2, 2)])
def test_matrix_power_matches_torch_and_gradchecks(n, shape):
    arrays = [well_conditioned(shape, seed=abs(n))]
    fns = both("matrix_power", n)
    check_against_torch(*fns, arrays)
    check_gradients(fns[0], arrays)
    check_against_torch(lambda a: a.matrix_power(n), lambda a: a.matrix_power(n), arrays)
    check_against_torch(lambda a: gla.matrix_power(a, n), lambda a: TL.matrix_power(a, n), arrays)


@pytest.mark.parametrize("shapes", [
    [(3,), (3, 4), (4, 2), (2,)], [(2, 3), (3, 4)], [(3,), (3,)], [(2, 3), (3, 4), (4, 5), (5, 1)],
    [(0, 3), (3, 2)], [(2, 0), (0, 2), (2,)],
])
def test_multi_dot_matches_torch_and_gradchecks(shapes):
    arrays = random_inputs(shapes, seed=len(shapes))
    check_against_torch(lambda *x: gla.multi_dot(x), lambda *x: TL.multi_dot(x), arrays)
    check_gradients(lambda *x: gla.multi_dot(list(x)), arrays)


def test_chain_matmul_of_one_matrix_is_that_matrix():
    x = gs.randn(2, 3)
    assert gs.chain_matmul(x) is x


@settings(max_examples=10, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       k=st.integers(0, 3), seed=st.integers(0, 99))
def test_vecdot_property_matches_torch(shapes, k, seed):
    arrays = random_inputs([s + (k,) for s in shapes.input_shapes], seed=seed)
    check_against_torch(gla.vecdot, TL.vecdot, arrays)
    check_against_torch(lambda a, b: gla.vecdot(a, b, dim=-1), lambda a, b: TL.vecdot(a, b, dim=-1),
                        arrays)


def test_vecdot_contracted_sizes_must_match_as_torch():
    with pytest.raises(RuntimeError):
        TL.vecdot(torch.ones(1), torch.ones(2))
    with pytest.raises(ValueError, match=r"linalg.vecdot: dimension -1 has size 1 in shape \(1,\) but 2"):
        gla.vecdot(gs.ones(1), gs.ones(2))


# ---------------------------------------------------------------- decompositions and solvers
BATCHES = [(), (2,), (0,), (2, 1)]


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("n", [1, 3])
def test_inv_det_slogdet_logdet_match_torch_and_gradcheck(batch, n):
    A = [well_conditioned(batch + (n, n), seed=n)]
    cases = [
        (gla.inv, TL.inv), (gs.inverse, torch.inverse), (gla.det, TL.det), (gs.det, torch.det),
        (lambda a: gla.slogdet(a).logabsdet, lambda a: TL.slogdet(a).logabsdet),
        (lambda a: gs.slogdet(a)[1] * 2, lambda a: torch.slogdet(a)[1] * 2),
        (lambda a: a.inverse(), lambda a: a.inverse()), (lambda a: a.det(), lambda a: a.det()),
        (lambda a: gla.inv_ex(a).inverse, lambda a: TL.inv_ex(a).inverse),
    ]
    for gs_fn, torch_fn in cases:
        check_against_torch(gs_fn, torch_fn, A)
        check_gradients(gs_fn, A)
    check_against_torch(lambda a: gla.slogdet(a).sign, lambda a: TL.slogdet(a).sign, A, grad=False)
    positive = [spd(batch + (n, n), seed=n)]
    check_against_torch(gs.logdet, torch.logdet, positive)
    check_against_torch(lambda a: a.logdet(), lambda a: a.logdet(), positive)
    check_gradients(gs.logdet, positive)
    np.testing.assert_array_equal(gla.inv_ex(gs.tensor(A[0])).info.array,
                                  TL.inv_ex(torch.tensor(A[0])).info.numpy())


def test_det_and_logdet_edge_values_match_torch():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    check_against_torch(gla.det, TL.det, [singular])  # gradient 0 there, as torch's
    check_against_torch(gla.det, TL.det, [np.zeros((0, 0))])
    negative = np.array([[-1.0, 0.0], [0.0, 2.0]])
    check_against_torch(gs.logdet, torch.logdet, [negative], grad=False)
    check_against_torch(gs.logdet, torch.logdet, [np.zeros((2, 2))], grad=False)
    sign, logabs = gla.slogdet(gs.tensor(np.zeros((2, 2))))
    assert sign.item() == 0 and logabs.item() == -np.inf
    check_against_torch(gla.det, TL.det, [np.array([[1e-200, 0.0], [0.0, 1e-200]])])


@pytest.mark.parametrize("a_batch, b_shape, left", [
    ((), (3, 2), True), ((2,), (2, 3, 2), True), ((2,), (3,), True), ((2,), (2, 3), True),
    ((2,), (4, 1, 3, 2), True), ((0,), (0, 3, 1), True), ((), (2, 3), False),
    ((2,), (5, 3), False), ((2, 1), (2, 3), False), ((), (3,), True),
])
def test_solve_matches_torch_and_gradchecks(a_batch, b_shape, left):
    arrays = [well_conditioned(a_batch + (3, 3), seed=1), random_inputs([b_shape], seed=2)[0]]
    fns = (lambda a, b: gla.solve(a, b, left=left), lambda a, b: TL.solve(a, b, left=left))
    check_against_torch(*fns, arrays)
    check_gradients(fns[0], arrays)


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_torch_and_gradchecks(batch, upper):
    A = [spd(batch + (3, 3), seed=2)]
    cases = [(lambda a: gla.cholesky(a, upper=upper), lambda a: TL.cholesky(a, upper=upper)),
             (lambda a: gs.cholesky(a, upper), lambda a: torch.cholesky(a, upper)),
             (lambda a: a.cholesky(upper), lambda a: a.cholesky(upper)),
             (lambda a: gla.cholesky_ex(a, upper=upper).L, lambda a: TL.cholesky_ex(a, upper=upper).L)]
    for gs_fn, torch_fn in cases:
        check_against_torch(gs_fn, torch_fn, A)
    check_gradients(lambda a: gla.cholesky(sym(a), upper=upper), A)
    np.testing.assert_array_equal(gla.cholesky_ex(gs.tensor(A[0])).info.array,
                                  TL.cholesky_ex(torch.tensor(A[0])).info.numpy())


def test_cholesky_ex_reports_the_failing_minor_as_torch():
    A = np.stack([spd((3, 3)), np.diag([1.0, -1.0, 2.0]), -np.eye(3)])
    np.testing.assert_array_equal(gla.cholesky_ex(gs.tensor(A)).info.array,
                                  TL.cholesky_ex(torch.tensor(A)).info.numpy())
    np.testing.assert_allclose(gla.cholesky_ex(gs.tensor(A)).L.array[0],
                               np.linalg.cholesky(A[0]), rtol=1e-12)


QR_SHAPES = [(4, 3), (3, 4), (3, 3), (2, 5, 3), (2, 2, 4), (0, 4, 3)]


@pytest.mark.parametrize("shape", QR_SHAPES)
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_matches_torch_and_gradchecks(shape, mode):
    A = random_inputs([shape], seed=5)
    differentiable = mode == "reduced" or (mode == "complete" and shape[-2] <= shape[-1])
    for part in ("Q", "R"):
        if mode == "r" and part == "Q":
            continue
        fns = (lambda a: getattr(gla.qr(a, mode=mode), part),
               lambda a: getattr(TL.qr(a, mode=mode), part))
        check_against_torch(*fns, A, grad=differentiable)
    if differentiable:
        check_gradients(lambda a: gla.qr(a, mode=mode).Q, A)
        check_gradients(lambda a: gla.qr(a, mode=mode).R, A)
    assert tuple(gla.qr(gs.tensor(A[0]), mode=mode).Q.shape) == \
        tuple(TL.qr(torch.tensor(A[0]), mode=mode).Q.shape)


SVD_SHAPES = [(4, 3), (3, 4), (3, 3), (2, 5, 3), (2, 2, 4), (0, 4, 3), (3, 1)]


def svd_loss(module):
    """A gauge-invariant loss of (U, S, Vh): sign flips of a singular pair cancel in it."""
    def loss(a, full):
        U, S, Vh = module.svd(a, full_matrices=full)
        k = S.shape[-1]
        U, Vh = U[..., :k], Vh[..., :k, :]
        weights = module_tensor(module, np.linspace(0.5, 2.0, a.shape[-1]), a)
        return (U * (Vh * weights).sum(-1)[..., None, :]).sum(-2) * 2 + S ** 2
    return loss


def module_tensor(module, values, like):
    if module is gla:
        return gs.tensor(values, dtype=like.dtype)
    return torch.tensor(values, dtype=like.dtype)


@pytest.mark.parametrize("shape", SVD_SHAPES)
@pytest.mark.parametrize("full", [False, True])
def test_svd_matches_torch_on_gauge_invariant_losses_and_gradchecks(shape, full):
    A = random_inputs([shape], seed=7)
    gs_loss, torch_loss = svd_loss(gla), svd_loss(TL)
    check_against_torch(lambda a: gs_loss(a, full), lambda a: torch_loss(a, full), A)
    check_gradients(lambda a: gs_loss(a, full), A)
    check_against_torch(gla.svdvals, TL.svdvals, A)
    check_gradients(gla.svdvals, A)
    U, S, Vh = gla.svd(gs.tensor(A[0]), full_matrices=full)
    tU, tS, tVh = TL.svd(torch.tensor(A[0]), full_matrices=full)
    assert U.shape == tuple(tU.shape) and S.shape == tuple(tS.shape) and Vh.shape == tuple(tVh.shape)
    k = S.shape[-1]
    np.testing.assert_allclose((U.array[..., :k] * S.array[..., None, :]) @ Vh.array[..., :k, :],
                               A[0], atol=1e-12)


def eigh_loss(module):
    def loss(a):
        L, Q = module.eigh(sym(a))
        return L * 3 + (Q ** 2)[..., 0, :] + (Q[..., :1, :] * Q[..., 1:2, :])[..., 0, :] ** 2
    return loss


@pytest.mark.parametrize("batch", BATCHES)
def test_eigh_and_eigvalsh_match_torch_and_gradcheck(batch):
    A = [symmetric(batch + (3, 3), seed=3)]
    check_against_torch(eigh_loss(gla), eigh_loss(TL), A)
    check_gradients(eigh_loss(gla), A)
    check_against_torch(gla.eigvalsh, TL.eigvalsh, A)
    check_against_torch(lambda a: gla.eigh(a).eigenvalues, lambda a: TL.eigh(a).eigenvalues, A)
    check_gradients(lambda a: gla.eigvalsh(sym(a)), A)


def test_eigh_reads_one_triangle_as_torch():
    A = np.random.default_rng(0).standard_normal((3, 3))  # not symmetric: the triangle matters
    for uplo in ("L", "U"):
        check_against_torch(lambda a: gla.eigvalsh(a, UPLO=uplo), lambda a: TL.eigvalsh(a, UPLO=uplo),
                            [A])


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 5, 3), (0, 4, 3), (3, 0)])
def test_pinv_matches_torch_and_gradchecks(shape):
    A = random_inputs([shape], seed=8)
    check_against_torch(gla.pinv, TL.pinv, A)
    check_against_torch(lambda a: gs.pinverse(a), lambda a: torch.pinverse(a), A)
    check_against_torch(lambda a: a.pinverse(), lambda a: a.pinverse(), A)
    check_gradients(gla.pinv, A)


def test_pinv_hermitian_and_tolerances_match_torch():
    A = [symmetric((2, 3, 3), seed=1)]
    check_against_torch(lambda a: gla.pinv(a, hermitian=True), lambda a: TL.pinv(a, hermitian=True), A)
    check_gradients(lambda a: gla.pinv(sym(a), hermitian=True), A)
    rng = np.random.default_rng(3)
    U = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    V = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    low_rank = U[:, :2] @ np.diag([3.0, 1e-3]) @ V.T
    for kwargs in ({}, {"rtol": 1e-6}, {"atol": 1.0}, {"atol": 1e-12, "rtol": 0.0}):
        check_against_torch(lambda a: gla.pinv(a, **kwargs), lambda a: TL.pinv(a, **kwargs),
                            [low_rank], grad=False)


@pytest.mark.parametrize("kwargs", [{}, {"atol": 1.0}, {"rtol": 0.5}, {"hermitian": True}])
def test_matrix_rank_matches_torch(kwargs):
    A = np.stack([symmetric((3, 3)), np.diag([1.0, 0.0, 0.0]), np.zeros((3, 3)),
                  np.diag([3.0, 1.0, 0.4])])
    rank = gla.matrix_rank(gs.tensor(A), **kwargs)
    expected = TL.matrix_rank(torch.tensor(A), **kwargs)
    assert rank.dtype == np.int64
    np.testing.assert_array_equal(rank.array, expected.numpy())
    np.testing.assert_array_equal(gla.matrix_rank(gs.zeros(0, 3, 2)).array, np.zeros(0))


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("a_shape, b_shape", [
    ((5, 3), (5, 2)), ((2, 5, 3), (2, 5, 2)), ((5, 3), (5,)), ((2, 4), (2, 3)), ((0, 4, 3), (0, 4, 1)),
])
def test_lstsq_matches_torch(driver, a_shape, b_shape):
    arrays = random_inputs([a_shape, b_shape], seed=9)
    fns = (lambda a, b: gla.lstsq(a, b, driver=driver).solution,
           lambda a, b: TL.lstsq(a, b, driver=driver).solution)
    check_against_torch(*fns, arrays)
    check_gradients(fns[0], arrays)
    ours = gla.lstsq(*[gs.tensor(a) for a in arrays], driver=driver)
    theirs = TL.lstsq(*[torch.tensor(a) for a in arrays], driver=driver)
    for field in ("residuals", "rank", "singular_values"):
        mine, expected = getattr(ours, field), getattr(theirs, field)
        assert mine.shape == tuple(expected.shape), field
        assert mine.dtype == expected.numpy().dtype, field
        np.testing.assert_allclose(mine.array, expected.numpy(), rtol=1e-6, atol=1e-9)


ORDS = ["fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("ord", ORDS)
@pytest.mark.parametrize("shape, dim", [((3, 4), (-2, -1)), ((2, 3, 4), (-2, -1)), ((3, 2, 4), (0, 2)),
                                        ((3, 2, 4), (2, 0)), ((0, 2, 3), (-2, -1))])
def test_matrix_norm_matches_torch_and_gradchecks(ord, shape, dim):
    A = random_inputs([shape], seed=4)
    for keepdim in (False, True):
        fns = (lambda a: gla.matrix_norm(a, ord, dim, keepdim),
               lambda a: TL.matrix_norm(a, ord, dim, keepdim))
        check_against_torch(*fns, A)
    check_gradients(lambda a: gla.matrix_norm(a, ord, dim), A)
    check_against_torch(lambda a: gla.norm(a, ord, dim), lambda a: TL.norm(a, ord, dim), A)


@pytest.mark.parametrize("ord, dim, shape", [
    (None, None, (2, 3, 4)), (None, None, (3,)), (2, None, (4,)), (1, None, (4,)), (np.inf, -1, (2, 3)),
    (None, (0, 1), (3, 4)), ("fro", None, (3, 4)), (2, None, (3, 4)), (3, 1, (2, 3)), (None, None, (0, 3)),
])
def test_linalg_norm_dispatches_to_vector_and_matrix_norms_as_torch(ord, dim, shape):
    A = random_inputs([shape], seed=2)
    for keepdim in (False, True):
        check_against_torch(lambda a: gla.norm(a, ord, dim, keepdim), lambda a: TL.norm(a, ord, dim, keepdim),
                            A)
    check_against_torch(lambda a: gla.vector_norm(a), lambda a: TL.vector_norm(a), A)


def test_matrix_norm_ties_and_zeros_match_torch():
    A = np.array([[1.0, -1.0], [-1.0, 1.0]])
    for ord in (1, -1, np.inf, -np.inf, "fro"):
        check_against_torch(lambda a: gla.matrix_norm(a, ord), lambda a: TL.matrix_norm(a, ord), [A])
    check_against_torch(gla.matrix_norm, TL.matrix_norm, [np.zeros((2, 3))])
    check_against_torch(lambda a: gla.norm(a, 2), lambda a: TL.norm(a, 2), [A * 2], grad=False)


def test_linalg_namespace_imports_like_torch_linalg():
    import importlib
    module = importlib.import_module("gradsheet.linalg")
    assert gs.linalg is module and "linalg" in gs.__all__
    for name in ("inv", "det", "slogdet", "solve", "cholesky", "qr", "svd", "svdvals", "eigh",
                 "eigvalsh", "pinv", "matrix_rank", "lstsq", "norm", "matrix_norm", "cross",
                 "multi_dot", "matrix_power", "matmul", "vecdot", "inv_ex", "cholesky_ex"):
        assert hasattr(TL, name) and callable(getattr(gla, name)), name
    assert issubclass(gla.LinAlgError, RuntimeError) and issubclass(TL.LinAlgError, RuntimeError)


@pytest.mark.parametrize("name, args", [("qr", 1), ("svd", 1), ("eigh", 1), ("slogdet", 1),
                                        ("lstsq", 2), ("inv_ex", 1), ("cholesky_ex", 1)])
def test_decomposition_outputs_are_named_tuples_as_torch(name, args):
    A = spd((3, 3))
    ours = getattr(gla, name)(*[gs.tensor(A)] * args)
    theirs = getattr(TL, name)(*[torch.tensor(A)] * args)
    assert len(ours) == len(theirs)
    for i, field in enumerate(ours._fields):
        assert tuple(getattr(ours, field).shape) == tuple(getattr(theirs, field).shape)
        assert getattr(ours, field) is ours[i]


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("call, error, pattern", [
    (lambda: gs.mm(gs.ones(2, 3), gs.ones(4, 5)), ValueError,
     r"mm: \(2, 3\) @ \(4, 5\): inner dimensions 3 and 4 differ"),
    (lambda: gs.mm(gs.ones(3), gs.ones(3, 3)), ValueError, r"mm: expected two 2-D matrices.*\(3,\)"),
    (lambda: gs.bmm(gs.ones(2, 3, 4), gs.ones(3, 4, 5)), ValueError,
     r"bmm: \(2, 3, 4\) @ \(3, 4, 5\): batch sizes 2 and 3 differ"),
    (lambda: gs.bmm(gs.ones(2, 3, 4), gs.ones(2, 5, 5)), ValueError,
     r"bmm: \(2, 3, 4\) @ \(2, 5, 5\): inner dimensions 4 and 5 differ"),
    (lambda: gs.bmm(gs.ones(3, 4), gs.ones(2, 4, 5)), ValueError, r"bmm: expected two 3-D"),
    (lambda: gs.mv(gs.ones(2, 3), gs.ones(4)), ValueError,
     r"mv: \(2, 3\) @ \(4,\): inner dimensions 3 and 4 differ"),
    (lambda: gs.mv(gs.ones(2, 3), gs.ones(3, 1)), ValueError, r"mv: expected a 2-D matrix and a 1-D"),
    (lambda: gs.dot(gs.ones(3), gs.ones(4)), ValueError, r"dot: \(3,\) \. \(4,\): sizes 3 and 4"),
    (lambda: gs.vdot(gs.ones(2, 3), gs.ones(3)), ValueError, r"vdot: expected two 1-D vectors"),
    (lambda: gs.inner(gs.ones(2, 3), gs.ones(4)), ValueError,
     r"inner: the last dimensions of shapes \(2, 3\) and \(4,\) must match"),
    (lambda: gs.outer(gs.ones(2, 3), gs.ones(4)), ValueError, r"outer: expected two 1-D vectors"),
    (lambda: gs.addmm(gs.ones(3), gs.ones(2, 3), gs.ones(3, 4)), ValueError,
     r"addmm: input of shape \(3,\) does not broadcast to the product's shape \(2, 4\)"),
    (lambda: gs.addmm(gs.ones(2, 3), gs.ones(2, 3), gs.ones(4, 4)), ValueError,
     r"addmm: \(2, 3\) @ \(4, 4\): inner dimensions"),
    (lambda: gs.ones(4).addmm_(gs.ones(2, 3), gs.ones(3, 4)), RuntimeError,
     r"addmm_: the result has shape \(2, 4\).*\(4,\)"),
    (lambda: gs.baddbmm(gs.ones(3, 2, 4), gs.ones(5, 2, 3), gs.ones(5, 3, 4)), ValueError,
     r"baddbmm: input of shape \(3, 2, 4\) does not broadcast to the product's shape \(5, 2, 4\)"),
    (lambda: gs.addr(gs.ones(2, 2), gs.ones(3), gs.ones(2)), ValueError, r"addr: input of shape \(2, 2\)"),
    (lambda: gs.einsum("ij,jk", gs.ones(2, 3)), ValueError, r"einsum: .* names 2 operands, but 1"),
    (lambda: gs.einsum("ij,jk", gs.ones(2, 3), gs.ones(2, 4)), ValueError,
     r"einsum: subscript 'j' has size 2 in operand 1 of shape \(2, 4\).*size 3 in operand 0"),
    (lambda: gs.einsum("ii", gs.ones(2, 3)), ValueError, r"einsum: subscript 'i' is repeated.*2 != 3"),
    (lambda: gs.einsum("ij", gs.ones(2, 3, 4)), ValueError,
     r"einsum: operand 0 of shape \(2, 3, 4\) has 3 dimensions, but subscripts 'ij' name 2"),
    (lambda: gs.einsum("i1", gs.ones(2, 3)), ValueError, r"einsum: invalid subscript '1'"),
    (lambda: gs.einsum("ij->ii", gs.ones(2, 3)), ValueError, r"einsum: output subscript 'i'.*more than once"),
    (lambda: gs.einsum("ij->k", gs.ones(2, 3)), ValueError, r"einsum: output subscript 'k'.*does not appear"),
    (lambda: gs.einsum("...i,...i", gs.ones(2, 3), gs.ones(4, 3)), ValueError,
     r"einsum: subscript '\.\.\.' has size 4"),
    (lambda: gs.einsum(), TypeError, r"einsum: expected an equation"),
    (lambda: gs.tensordot(gs.ones(2, 3), gs.ones(4, 5), dims=([1], [0])), ValueError,
     r"tensordot: contracted dimension 1 of shape \(2, 3\) has size 3, but dimension 0 of shape "
     r"\(4, 5\) has size 4"),
    (lambda: gs.tensordot(gs.ones(2, 3), gs.ones(3, 5), dims=3), ValueError, r"tensordot: dims=3"),
    (lambda: gs.tensordot(gs.ones(2, 3), gs.ones(3), dims=([0, 1], [0])), ValueError,
     r"tensordot: both lists of dims"),
    (lambda: gs.cross(gs.ones(2, 1, 3), gs.ones(4, 3)), ValueError,
     r"cross: inputs must have the same number of dimensions.*\(2, 1, 3\) and \(4, 3\)"),
    (lambda: gs.linalg.cross(gs.ones(3, 4), gs.ones(3, 4)), ValueError,
     r"linalg.cross: dimension -1 must have size 3.*\(3, 4\)"),
    (lambda: gs.cross(gs.ones(2, 4), gs.ones(2, 4)), ValueError, r"cross: no dimension of size 3"),
    (lambda: gs.cdist(gs.ones(2, 3), gs.ones(2, 4)), ValueError,
     r"cdist: x1 of shape \(2, 3\) and x2 of shape \(2, 4\) must have the same number of columns"),
    (lambda: gs.cdist(gs.ones(3), gs.ones(2, 3)), ValueError, r"cdist: x1 and x2 must have at least 2"),
    (lambda: gs.cdist(gs.ones(2, 3), gs.ones(2, 3), p=-1), ValueError, r"cdist: p must be non-negative"),
    (lambda: gs.trace(gs.ones(3)), ValueError, r"trace: expected a 2-D matrix, got shape \(3,\)"),
    (lambda: gs.matrix_power(gs.ones(2, 3), 2), ValueError, r"matrix_power: .*square.*\(2, 3\)"),
    (lambda: gs.matrix_power(gs.tensor([[1, 2], [3, 4]]), -1), TypeError,
     r"matrix_power: expected a floating-point tensor"),
    (lambda: gla.multi_dot([gs.ones(3, 3)]), ValueError, r"multi_dot: expected at least 2 tensors"),
    (lambda: gla.multi_dot([gs.ones(2, 3), gs.ones(4, 4)]), ValueError,
     r"multi_dot: tensors 0 and 1: \(2, 3\) @ \(4, 4\): inner dimensions 3 and 4 differ"),
    (lambda: gla.multi_dot([gs.ones(2, 3), gs.ones(3), gs.ones(3)]), ValueError,
     r"multi_dot: tensor 1 must be 2-D"),
    (lambda: gla.inv(gs.ones(2, 3)), ValueError,
     r"linalg.inv: A must be batches of square matrices, but shape \(2, 3\) holds 2 by 3"),
    (lambda: gla.inv(gs.ones(3)), ValueError, r"linalg.inv: A must have at least 2 dimensions"),
    (lambda: gla.inv(gs.tensor([[1, 2], [3, 4]])), TypeError, r"linalg.inv: expected a floating"),
    (lambda: gla.det(gs.ones(2, 3)), ValueError, r"linalg.det: A must be batches of square"),
    (lambda: gla.solve(gs.eye(3), gs.ones(4)), ValueError,
     r"linalg.solve: incompatible shapes of A \(3, 3\) and B \(4,\) for the equation AX = B"),
    (lambda: gla.solve(gs.eye(3), gs.ones(3), left=False), ValueError,  # as torch: no vectors
     r"linalg.solve: incompatible shapes .* XA = B"),
    (lambda: gla.qr(gs.ones(3, 3), mode="full"), ValueError, r"linalg.qr: mode must be"),
    (lambda: gla.eigh(gs.eye(3), UPLO="X"), ValueError, r"linalg.eigh: UPLO must be 'L' or 'U'"),
    (lambda: gla.lstsq(gs.ones(3, 2), gs.ones(4, 1)), ValueError,
     r"linalg.lstsq: A of shape \(3, 2\) and B of shape \(4, 1\) must have the same number of rows"),
    (lambda: gla.lstsq(gs.ones(3, 2), gs.ones(3, 1), driver="gesv"), ValueError,
     r"linalg.lstsq: driver must be"),
    (lambda: gla.matrix_norm(gs.ones(3, 3), ord=3), ValueError, r"linalg.matrix_norm: ord must be"),
    (lambda: gla.matrix_norm(gs.ones(3, 3), dim=(0, 0)), ValueError, r"linalg.matrix_norm: dims must"),
    (lambda: gla.matrix_norm(gs.ones(0, 3), ord=2), ValueError, r"linalg.matrix_norm: ord=2 is not"),
])
def test_bad_input_raises_naming_the_op_and_shapes(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("name, call", [
    ("inv", lambda m, A: m.inv(A)), ("solve", lambda m, A: m.solve(A, A[..., 0])),
    ("inverse", None), ("cholesky", lambda m, A: m.cholesky(A)),
])
@pytest.mark.parametrize("matrix", [np.zeros((2, 2)), np.array([[1.0, 2.0], [2.0, 4.0]]),
                                    np.stack([np.eye(2), np.zeros((2, 2))])])
def test_singular_and_indefinite_matrices_raise_linalg_error_as_torch(name, call, matrix):
    if call is None:
        def call(m, A):
            return (gs if m is gla else torch).inverse(A)
    with pytest.raises(TL.LinAlgError):
        call(TL, torch.tensor(matrix))
    with pytest.raises(gla.LinAlgError, match=rf"linalg.{'inv' if name == 'inverse' else name}: "):
        call(gla, gs.tensor(matrix))
    if name == "cholesky":
        with pytest.raises(RuntimeError, match=r"not positive-definite \(the leading minor of order"):
            call(gla, gs.tensor(matrix))


def test_singular_batch_element_is_named():
    with pytest.raises(gla.LinAlgError, match=r"batch element \(1,\)"):
        gla.inv(gs.tensor(np.stack([np.eye(2), np.zeros((2, 2))])))
    with pytest.raises(RuntimeError, match="singular"):
        gs.matrix_power(gs.zeros(2, 2), -1)


def test_inv_ex_flags_singular_matrices_instead_of_raising():
    A = np.stack([np.eye(2) * 2, np.zeros((2, 2))])
    result = gla.inv_ex(gs.tensor(A))
    expected = TL.inv_ex(torch.tensor(A))
    np.testing.assert_array_equal(result.info.array > 0, expected.info.numpy() > 0)
    np.testing.assert_allclose(result.inverse.array[0], expected.inverse.numpy()[0])
    with pytest.raises(gla.LinAlgError):
        gla.inv_ex(gs.tensor(A), check_errors=True)


@pytest.mark.parametrize("mode, shape, pattern", [
    ("r", (3, 3), r"linalg.qr: the derivative of linalg.qr depends on Q"),
    ("complete", (4, 3), r"linalg.qr: the QR decomposition is not differentiable when "
                         r"mode='complete' and nrows > ncols"),
])
def test_qr_backward_raises_where_torch_does(mode, shape, pattern):
    A = gs.randn(*shape, dtype=gs.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=pattern):
        gla.qr(A, mode=mode).R.sum().backward()
    At = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError):
        TL.qr(At, mode=mode).R.sum().backward()


# ---------------------------------------------------------------- properties and edge values
@settings(max_examples=15, deadline=None)
@given(batch=st.lists(st.integers(0, 2), max_size=2), n=st.integers(0, 3), k=st.integers(0, 2),
       seed=st.integers(0, 99))
def test_solvers_property_over_batch_shapes_and_sizes(batch, n, k, seed):
    batch = tuple(batch)
    A = well_conditioned(batch + (n, n), seed=seed)
    B = random_inputs([batch + (n, k)], seed=seed + 1)[0]
    check_against_torch(gla.inv, TL.inv, [A])
    check_against_torch(gla.det, TL.det, [A])
    check_against_torch(gla.solve, TL.solve, [A, B])
    P = spd(batch + (n, n), seed=seed)
    check_against_torch(gla.cholesky, TL.cholesky, [P])
    check_against_torch(gla.eigvalsh, TL.eigvalsh, [P])
    check_against_torch(lambda a: gla.slogdet(a).logabsdet, lambda a: TL.slogdet(a).logabsdet, [P])


@settings(max_examples=15, deadline=None)
@given(batch=st.lists(st.integers(0, 2), max_size=2), m=st.integers(1, 4), n=st.integers(1, 4),
       seed=st.integers(0, 99))
def test_factorizations_property_over_batch_shapes_and_sizes(batch, m, n, seed):
    A = random_inputs([tuple(batch) + (m, n)], seed=seed)
    check_against_torch(gla.svdvals, TL.svdvals, A)
    check_against_torch(gla.pinv, TL.pinv, A)
    check_against_torch(lambda a: gla.qr(a).R, lambda a: TL.qr(a).R, A)
    check_against_torch(lambda a: gla.matrix_norm(a, "nuc"), lambda a: TL.matrix_norm(a, "nuc"), A)


@pytest.mark.parametrize("batch", [(), (2,)])
def test_empty_matrices_match_torch(batch):
    empty = np.zeros(batch + (0, 0))
    for gs_fn, torch_fn in [(gla.inv, TL.inv), (gla.det, TL.det), (gla.cholesky, TL.cholesky),
                            (gla.eigvalsh, TL.eigvalsh), (gla.svdvals, TL.svdvals),
                            (gla.pinv, TL.pinv), (lambda a: gla.matrix_power(a, 3),
                                                  lambda a: TL.matrix_power(a, 3))]:
        check_against_torch(gs_fn, torch_fn, [empty])
    tall = np.zeros(batch + (3, 0))
    check_against_torch(gla.pinv, TL.pinv, [tall])
    check_against_torch(lambda a: gla.qr(a).Q, lambda a: TL.qr(a).Q, [tall], grad=False)


@pytest.mark.parametrize("fns", [
    (gs.mm, torch.mm), (lambda a, b: gs.einsum("ij,jk->ik", a, b),
                        lambda a, b: torch.einsum("ij,jk->ik", a, b)),
    (lambda a, b: gs.addmm(a[:, :1], a, b), lambda a, b: torch.addmm(a[:, :1], a, b)),
    (gs.kron, torch.kron), (lambda a, b: gs.cdist(a, b.T, p=1.0), lambda a, b: torch.cdist(a, b.T, p=1.0)),
])
def test_products_propagate_inf_and_nan_as_torch(fns):
    a = np.array([[1.0, np.inf, 0.0], [np.nan, -2.0, 3.0]])
    b = np.array([[2.0, -1.0], [0.5, 0.0], [-np.inf, 1.0]])
    check_against_torch(*fns, [a, b])


def test_einsum_with_one_tensor_twice_accumulates_both_gradients_as_torch():
    x = random_inputs([(3, 4)], seed=1)
    check_against_torch(lambda a: gs.einsum("ij,kj->ik", a, a), lambda a: torch.einsum("ij,kj->ik", a, a), x)
    check_against_torch(lambda a: gs.mm(a, a.T), lambda a: torch.mm(a, a.T), x)
    check_gradients(lambda a: gs.einsum("ij,ij,ij->", a, a, a), x)
