"""The β rules of :class:`cggan.optim.ConjugateGradient`: the inner products each rule
needs, how they are computed, and the formulas (the paper's bounded β and the authors'
released one).

Notation: g = current gradient, p = previous gradient, y = g − p, d = the previous
direction (the stored buffer for variant="authors"). The paper variant stores
b = −d (a momentum buffer), the authors variant d itself; ``buffer_sign`` says which.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from cggan.optim.base import safe_div

__all__ = [
    "BETA_RULES",
    "NEEDS_Y",
    "PRODUCTS",
    "VARIANTS",
    "authors_beta",
    "cache_batches",
    "chunk_numel",
    "chunked_products",
    "flat_views",
    "pieces",
    "paper_beta",
    "stacked_products",
]

BETA_RULES = ("FR", "PRP", "HS", "DY", "HS_DY", "FR_PRP", "HZ")
VARIANTS = ("paper", "authors")

#: Inner products each rule needs (Naganuma & Iiduka, AISTATS 2023, §3, the β rules;
#: Hager & Zhang 2005 for HZ).
PRODUCTS: dict[str, tuple[str, ...]] = {
    "FR": ("gg", "pp"),
    "PRP": ("gy", "pp"),
    "HS": ("gy", "dy"),
    "DY": ("gg", "dy"),
    "HS_DY": ("gy", "dy", "gg"),
    "FR_PRP": ("gg", "pp", "gy"),
    "HZ": ("gy", "dy", "yy", "gd"),
}
NEEDS_Y = frozenset({"gy", "dy", "yy"})
_SLOT = {"g": 0, "p": 1, "d": 2, "y": 3}
# Operands of each product; "d" is read from the stored buffer, with the buffer's sign.
_OPERANDS = {
    "gg": ("g", "g"),
    "pp": ("p", "p"),
    "gy": ("g", "y"),
    "dy": ("d", "y"),
    "yy": ("y", "y"),
    "gd": ("g", "d"),
}

#: Bytes per operand in one chunk of :func:`chunked_products` and of the update: the
#: three or four operands of a chunk (2 MiB each) stay in the last-level cache while
#: all of a rule's products of the chunk are taken, so memory delivers each chunk of g,
#: p and the buffer once whatever the rule (best at 1-2 MiB with a 32 MiB L3).
CHUNK_BYTES = 1 << 21

# Tensors are grouped into batches of about this many elements (4 MiB of float32) in the
# for-loop path: large enough to share the β kernels among small tensors, small enough
# that a batch is still in the last-level cache when its update follows its products.
CACHE_BATCH_NUMEL = 1 << 20


def cache_batches(sizes: Sequence[int], limit: int = CACHE_BATCH_NUMEL) -> list[range]:
    """Consecutive index ranges whose sizes add up to about ``limit`` (>= 1 each)."""
    batches, start, total = [], 0, 0
    for index, size in enumerate(sizes):
        if total and total + size > limit:
            batches.append(range(start, index))
            start, total = index, 0
        total += size
    batches.append(range(start, len(sizes)))
    return batches


def flat_views(*tensors: Tensor) -> list[Tensor] | None:
    """1-D views of ``tensors`` in memory order, or None where none exist.

    Elementwise and inner-product work may run in memory order when every tensor has
    the same shape and strides and is dense in one memory format (e.g. a channels-last
    weight, its ``.grad`` and their ``preserve_format`` clones).
    """
    first = tensors[0]
    if all(t.is_contiguous() for t in tensors):
        return [t.view(-1) for t in tensors]
    if any(t.shape != first.shape or t.stride() != first.stride() for t in tensors):
        return None
    for fmt, dim in ((torch.channels_last, 4), (torch.channels_last_3d, 5)):
        if first.dim() == dim and first.is_contiguous(memory_format=fmt):
            return [t.as_strided((t.numel(),), (1,)) for t in tensors]
    return None


def chunk_numel(like: Tensor) -> int:
    """Elements per chunk of a flat tensor like ``like`` (:data:`CHUNK_BYTES`)."""
    return max(1, CHUNK_BYTES // like.element_size())


def pieces(size: int, *flats: Tensor):
    """Aligned chunks of equally long 1-D tensors: an iterable of tuples."""
    if flats[0].numel() <= size:
        return (flats,)
    return zip(*(t.split(size) for t in flats))


def chunked_products(
    names: Sequence[str],
    operands: Sequence[tuple[Tensor, Tensor, Tensor]],
    scratch_for: Callable[[Tensor], Tensor],
    *,
    buffer_sign: float,
    in_place: Sequence[bool] | None = None,
) -> dict[str, Tensor]:
    """The products ``names`` per tensor, each chunk of g, p, b read from memory once.

    ``operands`` holds one (g, p, b) triple of 1-D tensors per tensor, walked in
    chunks of :data:`CHUNK_BYTES` per operand, so that the later products of a chunk
    find it in cache: HZ's four products cost one pass over g, p and b from memory,
    like HS_DY's three. −y = p − g of a chunk is written where ``in_place[i]`` into p
    itself (a view of the stored previous gradient), which is then overwritten with g
    while both are in cache (the paper variant's ``prev_grad ← g``, a pass over g that
    the update saves; in place, because a write to a third buffer costs more); else
    into a reusable scratch buffer (``scratch_for(chunk of g)``), p being read only.
    Chunk sums are added per tensor (they differ from one ``dot`` by rounding only).

    Returns:
        name -> float64 vector with one entry per tensor (signs folded in, so that
        ``"gy"`` is gᵀy, ``"dy"`` dᵀy and ``"gd"`` gᵀd whatever the buffer stores).
    """
    plain = [name for name in names if name not in NEEDS_Y]
    with_y = [name for name in names if name in NEEDS_Y]
    order = plain + with_y  # products of p are taken before −y overwrites it
    first = [(_SLOT[a], _SLOT[b]) for a, b in (_OPERANDS[n] for n in plain)]
    second = [(_SLOT[a], _SLOT[b]) for a, b in (_OPERANDS[n] for n in with_y)]
    in_place = in_place or [False] * len(operands)
    rows = []
    for (grad, prev, buffer), own in zip(operands, in_place):
        parts = []
        for chunk in pieces(chunk_numel(grad), grad, prev, buffer):
            parts += [torch.dot(chunk[i], chunk[j]) for i, j in first]
            if second:
                g, p = chunk[0], chunk[1]
                neg_y = p.sub_(g) if own else torch.sub(p, g, out=scratch_for(g))
                chunk = (*chunk, neg_y)
                parts += [torch.dot(chunk[i], chunk[j]) for i, j in second]
            if own:
                chunk[1].copy_(chunk[0])
        row = torch.stack(parts)
        k = len(order)
        rows.append(row if len(parts) == k else row.view(-1, k).sum(0))
    table = torch.stack(rows).double()
    # The y slot holds −y and the buffer buffer_sign·d.
    signs = {"gy": -1.0, "dy": -buffer_sign, "yy": 1.0, "gd": buffer_sign}
    out = {}
    for j, name in enumerate(order):
        out[name] = table[:, j] if signs.get(name, 1.0) > 0 else table[:, j].neg()
    return out


def _dot(a: Tensor, b: Tensor) -> Tensor:
    return torch.dot(a.reshape(-1), b.reshape(-1))


def stacked_products(
    names: Sequence[str],
    grads: Sequence[Tensor],
    prevs: Sequence[Tensor],
    buffers: Sequence[Tensor],
    neg_y: Sequence[Tensor] | None,
    *,
    buffer_sign: float,
) -> dict[str, Tensor]:
    """The products ``names`` per tensor, one ``dot`` per tensor and product.

    The multi-tensor (foreach) path's form: ``neg_y`` holds p − g = −y per tensor
    (written by one ``_foreach_sub_``; None when the rule needs no y). Returns name ->
    float64 vector, signs folded in as in :func:`chunked_products`.
    """
    operands = {"g": grads, "p": prevs, "d": buffers, "y": neg_y}
    signs = {"gy": -1.0, "dy": -buffer_sign, "yy": 1.0, "gd": buffer_sign}
    out = {}
    for name in names:
        a, b = _OPERANDS[name]
        value = torch.stack([_dot(x, z) for x, z in zip(operands[a], operands[b])])
        value = value.double()
        out[name] = value if signs.get(name, 1.0) > 0 else value.neg()
    return out


#: The four base ratios of the β rules: ``name -> (numerator, denominator)`` inner
#: products (``gg`` = gᵀg, ``pp`` = g_prevᵀg_prev, ``gy`` = gᵀy, ``dy`` = dᵀy).
_RATIOS = {
    "FR": ("gg", "pp"),
    "PRP": ("gy", "pp"),
    "HS": ("gy", "dy"),
    "DY": ("gg", "dy"),
}
#: The hybrid rules: the minimum of two base ratios.
_HYBRIDS = {"HS_DY": ("HS", "DY"), "FR_PRP": ("FR", "PRP")}


def _ratios(rule: str, prods: dict[str, Tensor], cap: float | None) -> list[Tensor]:
    """The base ratios a rule combines (HZ starts from HS), each capped at ``cap``
    first when given (the released code's order)."""
    names = ("HS",) if rule == "HZ" else _HYBRIDS.get(rule, (rule,))
    ratios = [safe_div(prods[_RATIOS[n][0]], prods[_RATIOS[n][1]]) for n in names]
    return ratios if cap is None else [torch.clamp_max(r, cap) for r in ratios]


def paper_beta(
    rule: str, prods: dict[str, Tensor], coeff: float, beta_max: float, mu: float
) -> Tensor:
    """β = coeff · clip(rule, 0, beta_max), elementwise over the float64 products."""
    ratios = _ratios(rule, prods, None)
    if rule == "HZ":  # both divisions by dᵀy so that (dᵀy)² cannot underflow to 0
        raw = ratios[0] - mu * safe_div(
            prods["yy"] * safe_div(prods["gd"], prods["dy"]), prods["dy"]
        )
    elif rule in _HYBRIDS:
        raw = torch.minimum(*ratios)
    else:
        raw = ratios[0]
    return coeff * raw.clamp(0.0, beta_max)


def authors_beta(
    rule: str, prods: dict[str, Tensor], coeff: float, beta_max: float, mu: float
) -> Tensor:
    """β exactly as the released ``calculate_beta(...) * beta_momentum_coeff``.

    The released code converts every inner product with ``float()`` and does the rest
    in Python (double) arithmetic; the float64 tensors here do the same without a sync.
    It caps each base ratio at ½ before combining them (``beta_max``, its hard-coded
    value by default) and clips at 0 only the hybrids.
    """
    cap = beta_max
    ratios = _ratios(rule, prods, cap)
    if rule == "HZ":  # the ½ cap on β_HS comes before the μ correction (quirk Q5)
        correction = mu * safe_div(prods["yy"] * prods["gd"], prods["dy"] * prods["dy"])
        hz = torch.clamp_max(ratios[0] - correction, cap)
        beta = torch.where(prods["dy"] == 0, torch.zeros_like(hz), hz)
    elif rule in _HYBRIDS:
        beta = torch.clamp_min(torch.minimum(*ratios), 0.0)
    else:
        beta = ratios[0]
    return beta * coeff
