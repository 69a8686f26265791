"""DistributedDataParallel: data-parallel training, one model replica per process (rank).

Each rank runs forward and backward on its own slice of the batch; the gradients are then
averaged over the N ranks,

    grad_p <- (1/N) * sum over ranks r of grad_p(r),

so that every replica takes the same optimizer step, the one of the whole batch (when the loss is
a mean over each rank's equal share). As PyTorch's reducer does, the parameters are grouped into
flat buckets (per dtype, about ``bucket_cap_mb`` MiB each, in the order the gradients become
ready: reverse registration order at first, the order actually seen in the first backward from
then on), each gradient is copied (times 1/N) into its bucket as soon as the engine has finished
accumulating it (``Tensor.register_post_accumulate_grad_hook``), and one non-blocking Allreduce
per bucket starts as soon as the bucket is full (buckets strictly in order, so that every rank
issues the same collectives in the same order), overlapping the rest of the backward. A final
callback of the backward (``autograd.engine.queue_callback``) waits for every bucket and copies
the averages into each ``.grad``, so when ``loss.backward()`` returns the gradients are averaged.
"""
from __future__ import annotations

import contextlib
import functools
import sys
import warnings
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ...autograd import engine
from ...autograd import grad_mode
from ...autograd.tensor import Tensor
from ..module import Module
from . import _comm

if TYPE_CHECKING:
    from ...autograd.hooks import RemovableHandle
    from ...distributed.collectives import Work
    from ...distributed.process_group import ProcessGroup

_MB = 1024 * 1024
_DEFAULT_BUCKET_CAP_MB = 25
_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024  # torch.distributed._DEFAULT_FIRST_BUCKET_BYTES

__all__ = ["DistributedDataParallel"]


def _assign_buckets(sizes: Sequence[int], keys: Sequence[str], limits: Sequence[int],
                    order: Optional[Sequence[int]] = None) -> list[list[int]]:
    """Bucket the tensors of byte ``sizes`` (grouped by ``keys``: their dtypes) as torch's
    ``_compute_bucket_assignment_by_size``: in ``order`` (default: index order), a bucket of a
    key closes once its size reaches the current limit (``limits[0]`` for a key's first bucket,
    then ``limits[1]``, ..., the last one repeating). Without ``order`` the buckets are sorted
    by their smallest index; with it they stay in closing order, the still open ones last, in
    the order their first tensors came. Returns a list of index lists."""
    open_buckets: dict[str, list[Any]] = {}  # key -> [indices, bytes, buckets closed so far]
    closed: list[list[int]] = []
    for i in range(len(sizes)) if order is None else order:
        bucket = open_buckets.setdefault(keys[i], [[], 0, 0])
        bucket[0].append(i)
        bucket[1] += sizes[i]
        if bucket[1] >= limits[min(bucket[2], len(limits) - 1)]:
            closed.append(bucket[0])
            open_buckets[keys[i]] = [[], 0, bucket[2] + 1]
    sequence = range(len(sizes)) if order is None else order
    position = {i: k for k, i in enumerate(sequence)}
    # (torch appends the open ones in its hash map's order; here: by their first tensor)
    closed.extend(sorted((b[0] for b in open_buckets.values() if b[0]),
                         key=lambda indices: position[indices[0]]))
    if order is None:
        closed.sort(key=min)
    return closed


class _Bucket:
    """One flat gradient buffer: the parameters ``indices`` laid end to end in ``flat``."""

    __slots__ = ("indices", "flat", "views", "pending", "work")
    indices: list[int]
    flat: np.ndarray
    views: list[np.ndarray]
    pending: int
    work: Optional[Work]

    def __init__(self, indices: Iterable[int], params: Sequence[Tensor]) -> None:
        self.indices = list(indices)
        dtype = params[self.indices[0]].array.dtype
        sizes = [params[i].array.size for i in self.indices]
        self.flat = np.zeros(sum(sizes), dtype=dtype)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.views = [self.flat[offsets[k]:offsets[k + 1]].reshape(params[i].array.shape)
                      for k, i in enumerate(self.indices)]
        self.pending = len(self.indices)
        self.work = None


def _post_accumulate_hook(ref: weakref.ref[DistributedDataParallel], index: int, param: Tensor
                          ) -> None:
    ddp = ref()
    if ddp is not None:
        ddp._autograd_hook(index)


def _remove_handles(handles: Iterable[RemovableHandle]) -> None:
    for handle in handles:
        handle.remove()


def _tensors_in(value: Any) -> list[Tensor]:
    """The Tensors in an output (nested tuples, lists, dicts)."""
    stack: list[Any] = [value]
    found: list[Tensor] = []
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def _reachable_leaves(outputs: Iterable[Tensor]) -> set[int]:
    """ids of the leaf tensors the graphs of ``outputs`` reach."""
    leaves: set[int] = set()
    seen: set[int] = set()
    stack: list[Any] = []  # the Function nodes still to visit
    for tensor in outputs:
        if tensor._ctx is None:
            leaves.add(id(tensor))
        else:
            stack.append(tensor._ctx)
    while stack:
        node = stack.pop()
        if id(node) in seen or node.parents is None:
            continue
        seen.add(id(node))
        for parent in node.parents:
            if isinstance(parent, Tensor):
                if parent._ctx is None:
                    leaves.add(id(parent))
                elif id(parent._ctx) not in seen:
                    stack.append(parent._ctx)
    return leaves


def _coalesced_broadcast(tensors: Iterable[Tensor], group: Optional[ProcessGroup], src: int = 0
                         ) -> None:
    """Every tensor in ``tensors`` <- rank ``src``'s, in place: one broadcast per dtype."""
    by_dtype: dict[np.dtype, list[Tensor]] = {}
    for tensor in tensors:
        by_dtype.setdefault(tensor.array.dtype, []).append(tensor)
    for dtype, group_tensors in by_dtype.items():
        flat = np.concatenate([t.array.reshape(-1) for t in group_tensors]) if group_tensors \
            else np.zeros(0, dtype)
        flat = np.ascontiguousarray(flat, dtype=dtype)
        _comm.broadcast(flat, src, group)
        offset = 0
        for tensor in group_tensors:
            n = tensor.array.size
            tensor.array[...] = flat[offset:offset + n].reshape(tensor.array.shape)
            offset += n


class DistributedDataParallel(Module):
    """grad_p <- (1/N) sum_r grad_p(r): ``module`` replicated on N ranks, its gradients averaged
    over them in buckets overlapped with the backward (as ``torch.nn.parallel.
    DistributedDataParallel``, over MPI: start the script with ``mpiexec -n N``).

    At wrapping it checks that every rank has the same parameter names, shapes and dtypes (a
    RuntimeError names the first difference and the ranks) and copies rank 0's parameters and
    buffers to every rank. Each ``forward`` first broadcasts rank 0's buffers (``broadcast_
    buffers``/``forward_sync_buffers``), then runs ``module``. The following backward averages
    the gradients: by the time ``backward()`` returns, every ``.grad`` holds the average.

    Args:
        module: the model (its parameters on the CPU).
        device_ids, output_device: must be None (CPU modules), as in PyTorch.
        dim: the batch dimension (kept for PyTorch's signature; inputs are not scattered).
        broadcast_buffers: deprecated alias of ``forward_sync_buffers``; ``False`` also skips
            the buffers at wrapping (PyTorch 2.13's rule).
        init_sync: check and broadcast at wrapping (default True).
        process_group: the group to average over (default: the default group).
        bucket_cap_mb: bucket size in MiB (default 25; the first bucket is then 1 MiB).
        find_unused_parameters: parameters that get no gradient in a backward (not reached from
            the outputs, or not from the loss) count as zero gradients so their buckets
            complete; a parameter no rank used keeps its ``.grad``.
        check_reduction: deprecated, ignored (a FutureWarning).
        gradient_as_bucket_view: leave each ``.grad`` a view into its bucket after the first
            reduction (no copy back; the next backward accumulates straight into the bucket).
        static_graph: the set of used parameters is the same every iteration (learned in the
            first one; unused ones count as zeros afterwards).
        delay_all_reduce_named_params, param_to_hook_all_reduce: (name, parameter) pairs
            left out of the buckets and averaged together, once, when ``param_to_hook_all_
            reduce``'s gradient is ready.
        mixed_precision, device_mesh: not supported (NotImplementedError unless None).
        skip_all_reduce_unused_params: accepted (unused parameters are zeros here anyway).
        bucket_cap_mb_list: one size limit per bucket (MiB), the last repeating.
        batched_grad_copy: accepted (copies into a bucket are already one NumPy op each).
        forward_sync_buffers: broadcast rank 0's buffers before each forward (default True).

    Attributes:
        module: the wrapped model (``state_dict`` keys carry its ``module.`` prefix).
    """

    def __init__(self, module: Module, device_ids: Optional[Sequence[Any]] = None,
                 output_device: Any = None, dim: int = 0,
                 broadcast_buffers: Optional[bool] = None, init_sync: bool = True,
                 process_group: Any = None, bucket_cap_mb: Optional[float] = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params: Any = None, param_to_hook_all_reduce: Any = None,
                 mixed_precision: Any = None, device_mesh: Any = None,
                 skip_all_reduce_unused_params: bool = False,
                 bucket_cap_mb_list: Optional[list[int]] = None, batched_grad_copy: bool = False,
                 forward_sync_buffers: Optional[bool] = None) -> None:
        super().__init__()
        name = "DistributedDataParallel"
        if not isinstance(module, Module):
            raise TypeError(f"{name}: module must be a gradsheet.nn.Module, got "
                            f"{type(module).__name__}")
        if (delay_all_reduce_named_params is None) != (param_to_hook_all_reduce is None):
            raise ValueError(f"{name}: delay_all_reduce_named_params and "
                             "param_to_hook_all_reduce need to be set at the same time.")
        if process_group is not None and device_mesh is not None:
            raise RuntimeError(f"{name}: Cannot specify both process_group and device_mesh "
                               "arguments.")
        if device_mesh is not None:
            raise NotImplementedError(f"{name}: device_mesh is not supported (gradsheet has "
                                      "no DeviceMesh); pass process_group")
        if mixed_precision is not None:
            raise NotImplementedError(f"{name}: mixed_precision is not supported; cast the "
                                      "model (module.to(dtype)) instead")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError(f"{name}: device_ids can only be None or contain a single element.")
        if device_ids or output_device is not None:
            raise ValueError(f"{name}: device_ids and output_device arguments only work with "
                             "single-device/multiple-device GPU modules or CPU modules, but got "
                             f"device_ids {device_ids}, output_device {output_device}, and "
                             "module parameters {device(type='cpu')}.")
        if process_group is None:
            _comm.check_initialized(name)
        self.module = module
        self.process_group = process_group
        self.device_ids = None
        self.output_device = None
        self.dim = dim
        if broadcast_buffers is not None:
            warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead."
                          if forward_sync_buffers is None else
                          "Both `broadcast_buffers` and `forward_sync_buffers` were specified. "
                          "`broadcast_buffers` is deprecated and its value is ignored when "
                          "`forward_sync_buffers` is provided.", FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers, init_sync_buffers = bool(forward_sync_buffers), True
        else:
            self.forward_sync_buffers = init_sync_buffers = \
                True if broadcast_buffers is None else bool(broadcast_buffers)
        if check_reduction:
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module is "
                          "deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.static_graph = bool(static_graph)
        self.skip_all_reduce_unused_params = bool(skip_all_reduce_unused_params)
        self.batched_grad_copy = bool(batched_grad_copy)
        self.mixed_precision = None
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True

        ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        delayed = list(delay_all_reduce_named_params or ())
        ignore.update(n for n, _ in delayed)
        self.parameters_to_ignore = ignore
        named: list[tuple[str, Tensor]] = []
        seen: set[int] = set()
        for pname, param in module.named_parameters():
            if pname in ignore or not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            named.append((pname, param))
        if not named and not delayed:
            raise RuntimeError(f"{name}: DistributedDataParallel is not needed when a module "
                               "doesn't have any parameter that requires a gradient.")
        self._param_names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self.modules_buffers = [b for n, b in module.named_buffers() if n not in ignore]

        self._rank = _comm.rank(process_group)
        self._world = _comm.world_size(process_group)
        if init_sync:
            self._verify_same_model(named + delayed)
            _coalesced_broadcast([p for _, p in named + delayed] +
                                 (self.modules_buffers if init_sync_buffers else []),
                                 process_group)

        # bucket sizes, as torch's _BucketCapacityConfig
        if bucket_cap_mb_list:
            limits = [int(mb * _MB) for mb in bucket_cap_mb_list]
            self.bucket_bytes_cap = max(limits)
            rebuild_limits = limits
        else:
            self.bucket_bytes_cap = int((_DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None
                                         else bucket_cap_mb) * _MB)
            first = _DEFAULT_FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
            rebuild_limits = [first, self.bucket_bytes_cap] if first < self.bucket_bytes_cap \
                else [self.bucket_bytes_cap]
            limits = [sys.maxsize] if self.static_graph or not self.find_unused_parameters \
                else rebuild_limits
        self._rebuild_limits = rebuild_limits
        # buckets are rebuilt once, in the order of the first backward (as torch's reducer)
        self._ready_order: Optional[list[int]] = (
            [] if self.static_graph or not self.find_unused_parameters else None)
        self._init_buckets(list(reversed(self._assign(limits))))

        self._handle_unused = self.find_unused_parameters or self.static_graph
        # static_graph: the parameters unused in the first iteration
        self._static_unused: Optional[list[int]] = None
        self._div = 1.0 / self._world
        self._expect_hooks = False
        self._round_started = False
        self._unused_now: Sequence[int] = ()
        self._local_used = np.zeros(len(self._params), dtype=np.int32)
        self._used_work: Optional[Work] = None
        self._unfinished: Optional[list[str]] = None
        refs = weakref.ref(self)
        handles = [p.register_post_accumulate_grad_hook(
            functools.partial(_post_accumulate_hook, refs, i)) for i, p in enumerate(self._params)]
        self._delayed = [p for _, p in delayed]
        if self._delayed:
            hook_param = param_to_hook_all_reduce
            handles.append(hook_param.register_post_accumulate_grad_hook(
                functools.partial(_delayed_hook, refs)))
        self._finalizer = weakref.finalize(self, _remove_handles, handles)

    # ------------------------------------------------------------ setup
    def _verify_same_model(self, named: Sequence[tuple[str, Tensor]]) -> None:
        """RuntimeError on every rank when some rank's parameters differ from rank 0's."""
        mine = [(n, tuple(p.shape), str(p.array.dtype)) for n, p in named]
        every = _comm.all_gather_object(mine, self.process_group)
        reference = every[0]
        for rank, theirs in enumerate(every[1:], start=1):
            if theirs == reference:
                continue
            for k in range(min(len(theirs), len(reference))):
                if theirs[k] != reference[k]:
                    (n0, s0, d0), (n1, s1, d1) = reference[k], theirs[k]
                    if n0 != n1:
                        what = f"is '{n0}' on rank 0 but '{n1}' on rank {rank}"
                    elif s0 != s1:
                        what = f"'{n0}' has shape {s0} on rank 0 but {s1} on rank {rank}"
                    else:
                        what = f"'{n0}' has dtype {d0} on rank 0 but {d1} on rank {rank}"
                    raise RuntimeError(f"DistributedDataParallel: the model differs across "
                                       f"ranks: parameter {k} {what}")
            longer, shorter = (0, rank) if len(reference) > len(theirs) else (rank, 0)
            first = (reference if longer == 0 else theirs)[min(len(theirs), len(reference))][0]
            raise RuntimeError(f"DistributedDataParallel: the model differs across ranks: rank 0 "
                               f"has {len(reference)} parameters but rank {rank} has "
                               f"{len(theirs)}; the first missing on rank {shorter} is "
                               f"'{first}' (present on rank {longer})")

    def _assign(self, limits: Sequence[int], order: Optional[Sequence[int]] = None
                ) -> list[list[int]]:
        sizes = [p.array.nbytes for p in self._params]
        keys = [p.array.dtype.str for p in self._params]
        return _assign_buckets(sizes, keys, limits, order)

    def _init_buckets(self, assignment: Iterable[Sequence[int]]) -> None:
        self._buckets = [_Bucket(indices, self._params) for indices in assignment]
        self._where: dict[int, tuple[_Bucket, int]] = {}
        for b, bucket in enumerate(self._buckets):
            for k, i in enumerate(bucket.indices):
                self._where[i] = (bucket, k)
        self._ready = np.zeros(len(self._params), dtype=bool)
        self._next_bucket = 0

    def _rebuild_buckets(self) -> None:
        """Once, before the second forward: buckets in rank 0's order of gradient readiness."""
        order = self._ready_order
        assert order is not None  # (called once the first backward has recorded it)
        self._ready_order = None
        seen = set(order)
        order = order + [i for i in range(len(self._params)) if i not in seen]
        order = _comm.broadcast_object(order, 0, self.process_group)
        self._init_buckets(self._assign(self._rebuild_limits, order))

    @property
    def broadcast_buffers(self) -> bool:
        """Whether rank 0's buffers are broadcast before each forward (``forward_sync_buffers``)."""
        return self.forward_sync_buffers

    @broadcast_buffers.setter
    def broadcast_buffers(self, value: bool) -> None:
        self.forward_sync_buffers = value

    def will_sync_module_buffers(self) -> bool:
        """Whether the next forward broadcasts rank 0's buffers first."""
        return (self.require_forward_param_sync and self.forward_sync_buffers
                and len(self.modules_buffers) > 0)

    # ------------------------------------------------------------ forward
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._unfinished is not None:
            names, self._unfinished = self._unfinished, None
            raise RuntimeError(
                "DistributedDataParallel: Expected to have finished reduction in the prior "
                "iteration before starting a new one. This error indicates that your module has "
                "parameters that were not used in producing loss. You can enable unused "
                "parameter detection by passing the keyword argument "
                "`find_unused_parameters=True` to `DistributedDataParallel`, and by making sure "
                "all `forward` function outputs participate in calculating loss. Parameters "
                f"which did not receive grad for rank {self._rank}: {', '.join(names)}")
        sync = grad_mode.is_grad_enabled() and self.require_backward_grad_sync
        if sync and self._ready_order and not self._round_started:
            self._rebuild_buckets()
        if self.will_sync_module_buffers():
            _coalesced_broadcast(self.modules_buffers, self.process_group)
        output = self.module(*inputs, **kwargs)
        if sync:
            self.require_forward_param_sync = True
            self._prepare_for_backward(output)
        else:
            self.require_forward_param_sync = False
        return output

    def _prepare_for_backward(self, output: Any) -> None:
        self._reset_round()
        self._expect_hooks = True
        if self.find_unused_parameters and not self.static_graph:
            reached = _reachable_leaves(_tensors_in(output))
            self._unused_now = [i for i, p in enumerate(self._params) if id(p) not in reached]
        elif self._static_unused is not None:
            self._unused_now = self._static_unused
        else:
            self._unused_now = ()

    def _reset_round(self) -> None:
        self._expect_hooks = self._round_started = False
        self._ready[:] = False
        self._local_used[:] = 0
        for bucket in self._buckets:
            bucket.pending = len(bucket.indices)
            bucket.work = None
        self._next_bucket = 0
        self._used_work = None

    # ------------------------------------------------------------ backward
    def _autograd_hook(self, index: int) -> None:
        """Parameter ``index``'s gradient is complete in this backward."""
        if not self._expect_hooks:
            return
        if not self._round_started:
            self._round_started = True
            engine.queue_callback(self._finalize_backward)
            for i in self._unused_now:
                self._mark_ready(i, used=False)
        self._mark_ready(index, used=True)

    def _mark_ready(self, index: int, used: bool) -> None:
        if self._ready[index]:
            raise RuntimeError(f"DistributedDataParallel: Expected to mark a variable ready only "
                               f"once; parameter '{self._param_names[index]}' was marked twice in "
                               "this iteration (find_unused_parameters counted it as unused, yet "
                               "it received a gradient: was it used outside DDP's forward?)")
        self._ready[index] = True
        if self._ready_order is not None:
            self._ready_order.append(index)
        bucket, k = self._where[index]
        view = bucket.views[k]
        grad = self._params[index].grad  # (an unused one's may hold no_sync's accumulation)
        if used:
            self._local_used[index] = 1
        if grad is None:
            view.fill(0)
        elif grad.array is view:
            view *= self._div
        else:
            np.multiply(grad.array, self._div, out=view)
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready()
        elif self._next_bucket:  # let MPI progress the allreduces already under way
            work = self._buckets[self._next_bucket - 1].work
            if work is not None and hasattr(work, "is_completed"):
                work.is_completed()

    def _launch_ready(self) -> None:
        buckets = self._buckets
        while self._next_bucket < len(buckets) and buckets[self._next_bucket].pending == 0:
            bucket = buckets[self._next_bucket]
            bucket.work = _comm.all_reduce_sum(bucket.flat, self.process_group, async_op=True)
            self._next_bucket += 1
        if self._next_bucket == len(buckets) and self._handle_unused and self._used_work is None:
            self._used_work = _comm.all_reduce_sum(self._local_used, self.process_group,
                                                   async_op=True)

    def _finalize_backward(self) -> None:
        """The final callback of the backward: every bucket reduced and copied into ``.grad``."""
        if not self._expect_hooks:
            return
        try:
            if self._handle_unused:
                missing = np.flatnonzero(~self._ready)
                if self.static_graph and self._static_unused is None:
                    self._static_unused = [int(i) for i in missing]
                for i in missing:
                    self._mark_ready(int(i), used=False)
            if self._next_bucket < len(self._buckets):  # some parameters got no gradient
                self._unfinished = [self._param_names[i] for i in np.flatnonzero(~self._ready)]
            globally_used = None
            if self._used_work is not None:
                self._used_work.wait()
                globally_used = self._local_used
            for bucket in self._buckets[:self._next_bucket]:
                assert bucket.work is not None  # (launched: every bucket before _next_bucket)
                bucket.work.wait()
                self._unflatten(bucket, globally_used)
        finally:
            self._reset_round()

    def _unflatten(self, bucket: _Bucket, globally_used: Optional[np.ndarray]) -> None:
        for k, i in enumerate(bucket.indices):
            param, view = self._params[i], bucket.views[k]
            if param.grad is None:
                if globally_used is not None and not globally_used[i]:
                    continue  # no rank used it: its .grad stays None, as in PyTorch
                param.grad = Tensor._wrap(view if self.gradient_as_bucket_view else view.copy())
            elif param.grad.array is not view:
                if globally_used is not None and not globally_used[i]:
                    continue
                if self.gradient_as_bucket_view and param.grad.array.shape == view.shape:
                    param.grad.array = view
                else:
                    np.copyto(param.grad.array, view)

    # ------------------------------------------------------------ API
    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within this context, backward accumulates gradients locally without averaging them;
        the first forward-backward after it averages the accumulated sums (gradient
        accumulation over micro-batches at one communication per step)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def extra_repr(self) -> str:
        return ""


def _delayed_hook(ref: weakref.ref[DistributedDataParallel], param: Tensor) -> None:
    """delay_all_reduce_named_params: average those parameters' gradients in one allreduce once
    the hook parameter's gradient is ready, and wait for it at the end of the backward."""
    ddp = ref()
    if ddp is None or not ddp.require_backward_grad_sync:
        return
    params = ddp._delayed
    flat = np.concatenate([(p.grad.array if p.grad is not None else np.zeros_like(p.array))
                           .reshape(-1) for p in params]) * ddp._div
    flat = np.ascontiguousarray(flat)
    work = _comm.all_reduce_sum(flat, ddp.process_group, async_op=True)
    assert work is not None  # (async_op: a work handle)

    def finish() -> None:
        work.wait()

        offset = 0
        for p in params:
            n = p.array.size
            value = flat[offset:offset + n].reshape(p.array.shape)
            if p.grad is None:
                p.grad = Tensor._wrap(value.copy())
            else:
                np.copyto(p.grad.array, value)
            offset += n

    engine.queue_callback(finish)
