"""gradsheet.distributed: data-parallel training over MPI under ``torch.distributed``'s names.

    # mpiexec -n 2 python train.py   (the `dist` extra: pip install "gradsheet[dist]")
    import gradsheet.distributed as dist
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    dist.all_reduce(grad, op=dist.ReduceOp.AVG)   # every rank now holds the mean gradient

The process group (``process_group``): ``init_process_group``, ``get_rank``,
``get_world_size``, ``new_group``, ``destroy_process_group``, ``ReduceOp``. The collectives
(``collectives``), in place on Tensors and NumPy arrays: ``all_reduce``, ``broadcast``,
``all_gather``, ``all_gather_into_tensor``, ``reduce``, ``reduce_scatter``,
``reduce_scatter_tensor``, ``gather``, ``scatter``, ``all_to_all(_single)``, ``barrier``, the
pickled-object ones (``all_gather_object``, ``broadcast_object_list``, ``gather_object``,
``scatter_object_list``), and ``send`` / ``recv`` / ``isend`` / ``irecv``; ``async_op=True``
returns a ``Work``. Faults (``faults``): an uncaught exception on one rank aborts the job
naming the rank; a collective times out (``timeout=`` of init_process_group, default 300 s)
naming the ranks that did not arrive; a rank killed outright is reported by its monitor.
``GRADSHEET_DISTRIBUTED_DEBUG=1`` checks every collective's shapes and dtypes across ranks.
"""
from . import collectives, faults, process_group
from .collectives import *  # noqa: F401,F403
from .faults import *  # noqa: F401,F403
from .process_group import *  # noqa: F401,F403

__all__ = (collectives.__all__ + faults.__all__ + process_group.__all__)
