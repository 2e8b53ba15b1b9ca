"""Shared plumbing below losses, metrics and training: mini-batches of on-device tensors, batched evaluation.

``data.batches`` and ``train.evaluate`` re-import these, so notebooks keep importing them from there.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch


def batches(x, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None
            ) -> Iterator:
    """Yield mini-batches sliced from tensors already on the device (no per-sample DataLoader).

    ``x`` is a tensor or a tuple of tensors with the same first dimension (then tuples are yielded).
    With ``shuffle`` the order is a fresh permutation drawn from ``generator`` (a CPU generator).
    """
    tensors = x if isinstance(x, tuple | list) else (x,)
    if not tensors or not all(isinstance(t, torch.Tensor) for t in tensors):
        raise TypeError("batches expects a tensor or a tuple of tensors")
    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ValueError(f"all tensors must have the same length, got {[len(t) for t in tensors]}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    order = torch.randperm(n, generator=generator).to(tensors[0].device) if shuffle else None
    for start in range(0, n, batch_size):
        if order is None:
            out = tuple(t[start:start + batch_size] for t in tensors)
        else:
            idx = order[start:start + batch_size]
            out = tuple(t[idx] for t in tensors)
        yield out if isinstance(x, tuple | list) else out[0]


@torch.inference_mode()
def evaluate(model: torch.nn.Module, x, fn=None, *, batch_size: int = 1000):
    """``fn(model, xb)`` (default ``model(xb)``) over batches of ``x``, in eval mode, without gradients.

    The batch outputs are concatenated along the first axis (0-dim outputs are stacked, one per
    batch; a tuple output gives a tuple of concatenated tensors). E.g. ``evaluate(lenet, x, lambda
    m, xb: m(xb).argmax(1))`` predicts labels; ``x`` may be a tuple of tensors as for ``batches``.
    """
    fn = fn if fn is not None else (lambda m, xb: m(xb))
    model.eval()
    outs = [fn(model, xb) for xb in batches(x, batch_size)]
    if not outs:
        raise ValueError("evaluate got no samples: x is empty")
    if isinstance(outs[0], tuple):
        return tuple(_join([out[i] for out in outs]) for i in range(len(outs[0])))
    return _join(outs)


def _join(tensors):
    return torch.stack(tensors) if tensors[0].ndim == 0 else torch.cat(tensors)


def jacobian_frobenius(encoder, x: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """Mean over samples of ‖∂f(x_i)/∂x_i‖²_F for any encoder f: (N, ...) → (N, m), by autograd (05).

    One backward pass per code unit j: since samples do not interact, the gradient of Σ_i f_j(x_i)
    with respect to x holds row j of every sample's Jacobian. ``create_graph=True`` keeps the result
    differentiable (a training penalty, ``losses.contractive_objective``). The encoder must treat
    samples independently (no batch norm in training mode).
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        z = encoder(x)
        if z.ndim != 2 or len(z) != len(x):
            raise ValueError(f"encoder must map (N, ...) to codes (N, m), got {tuple(z.shape)}")
        total = z.new_zeros(())
        for j in range(z.shape[1]):
            (g,) = torch.autograd.grad(z[:, j].sum(), x, retain_graph=True, create_graph=create_graph)
            total = total + (g**2).sum()
    return total / len(x)
