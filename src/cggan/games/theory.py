"""Step sizes, one-step operators and rate bounds of the toy games' theory checks.

The results are those of Liang & Stokes, "Interaction Matters: A Note on Non-asymptotic
Local Convergence of Generative Adversarial Networks" (AISTATS 2019): Theorem 1 and
Corollary 1 (simultaneous gradient ascent, SGA, on the strongly convex–concave quadratic
game) and Theorems 3–6 (OMD, the predictive method PM, implicit updates IU and consensus
optimization CO on the bilinear game ``U(θ, ω) = θᵀCω``, p = q, C full rank).

Notation: the joint vector field is ``v(z) = M z`` with ``M = [[0, C], [−Cᵀ, 0]]`` on
the bilinear game (plus ``I`` on the quadratic game, A = B = I), λ are the eigenvalues
of ``CCᵀ`` and κ = λ_max/λ_min. Rates are per step, on the joint norm ``‖z_t − z*‖``.
Pure numpy: the checks need no torch.
"""

from __future__ import annotations

import math

import numpy as np

from cggan.registry import CO, IU, OMD, PM, SGD

__all__ = [
    "SGA_BILINEAR_LR",
    "measured_rate",
    "one_step_operator",
    "spectrum",
    "theory_bounds",
    "theory_step_size",
]

#: SGA on the bilinear game diverges for every η > 0; a moderate η keeps 100 steps
#: readable.
SGA_BILINEAR_LR = 0.1


def spectrum(C) -> tuple[float, float]:
    """``(λ_min, λ_max)`` of ``CCᵀ``: the squared extreme singular values of C."""
    s = np.linalg.svd(np.asarray(C, dtype=np.float64), compute_uv=False)
    return float(s.min() ** 2), float(s.max() ** 2)


def theory_step_size(game: str, method: str, C, *, gamma: float | None = None) -> float:
    """The step size of Liang & Stokes' theorem for ``method`` on ``game`` (p = q).

    bilinear: omd ``1/(2√(2λ_max))`` (Thm 3); pm, co ``γλ_min/(λ_max + γ²λ_max²)``
    (Thms 4, 6); iu ``1/√λ_max`` (Thm 5); sgd: :data:`SGA_BILINEAR_LR` (diverges for
    every η). quadratic: sgd ``√α/β = 1/(1 + λ_max)`` (Thm 1 with A = B = I).

    Raises:
        ValueError: no theorem covers ``game``/``method``, or pm/co without ``gamma``.
    """
    lam_min, lam_max = spectrum(C)
    if game == "bilinear":
        if method == SGD:
            return SGA_BILINEAR_LR
        if method == OMD:
            return 1.0 / (2.0 * math.sqrt(2.0 * lam_max))
        if method in (PM, CO):
            if gamma is None:
                raise ValueError("Invalid gamma: None (pm and co need gamma > 0)")
            return gamma * lam_min / (lam_max + gamma**2 * lam_max**2)
        if method == IU:
            return 1.0 / math.sqrt(lam_max)
    if game == "quadratic" and method == SGD:
        return 1.0 / (1.0 + lam_max)
    raise ValueError(f"Invalid theory run: {game}/{method} (no theorem for it)")


def one_step_operator(game: str, method: str, C, lr: float, gamma: float | None = None):
    """The linear map of one step (SGD player optimizer, same η for both players).

    For omd this is the companion matrix of ``z_{t+1} = (I − 2ηM) z_t + ηM z_{t−1}``
    acting on ``(z_t, z_{t−1})``. Its spectral radius is the asymptotic per-step rate.

    Raises:
        ValueError: a method without a linear one-step map here.
    """
    C = np.asarray(C, dtype=np.float64)
    p, q = C.shape
    diag = np.eye(p + q) if game == "quadratic" else np.zeros((p + q, p + q))
    M = diag + np.block([[np.zeros((p, p)), C], [-C.T, np.zeros((q, q))]])
    eye = np.eye(p + q)
    if method == SGD:
        return eye - lr * M
    if method == OMD:
        return np.block([[eye - 2 * lr * M, lr * M], [eye, np.zeros_like(eye)]])
    if method == PM:
        return eye - lr * M @ (eye - gamma * M)
    if method == CO:
        # v + γ Jᵀv with J = M for an affine field.
        return eye - lr * (M + gamma * M.T @ M)
    if method == IU:
        return np.linalg.inv(eye + lr * M)
    raise ValueError(
        f"Invalid method for the operator: {method!r} (allowed: sgd, omd, pm, co, iu)"
    )


def theory_bounds(game: str, method: str, C, lr: float, gamma: float | None = None):
    """``(lower, upper, statement)``: the theorems' bounds on the per-step rate.

    ``lower``/``upper`` are None where the theory gives none. OMD's is the rate of its
    envelope ``4√2 r exp(−t λ_min/(16 λ_max))`` (Thm 3).

    Raises:
        ValueError: no theorem covers ``game``/``method``.
    """
    lam_min, lam_max = spectrum(C)
    if game == "bilinear" and method == SGD:
        statement = "SGA: ‖z'‖² = ‖z‖² + η²(‖Cω‖²+‖Cᵀθ‖²)"
        return math.sqrt(1 + lr**2 * lam_min), None, statement
    if game == "bilinear" and method == OMD:
        envelope = math.exp(-lam_min / (16 * lam_max))
        return None, envelope, "Thm 3: envelope exp(−λmin/(16λmax))"
    if game == "bilinear" and method in (PM, CO):
        bound = math.sqrt(1 - gamma**2 * lam_min**2 / (gamma**2 * lam_max**2 + lam_max))
        theorem = 4 if method == PM else 6
        return None, bound, f"Thm {theorem}: √(1−γ²λmin²/(γ²λmax²+λmax))"
    if game == "bilinear" and method == IU:
        kappa = lam_max / lam_min
        return None, 1 - (1 - 1 / math.sqrt(2)) / kappa, "Thm 5: 1 − (1 − 1/√2)/κ"
    if game == "quadratic" and method == SGD:
        lower = math.sqrt(lam_min / (1 + lam_min))
        upper = math.sqrt(lam_max / (1 + lam_max))  # Thm 1: √(1 − α/β), β = 1 + λmax
        return lower, upper, "Cor 1: ≥ √(λmin/(1+λmin)); Thm 1: ≤ √(1−α/β)"
    raise ValueError(f"Invalid theory run: {game}/{method} (no theorem for it)")


def measured_rate(dist: np.ndarray) -> float:
    """Geometric mean of ``dist[t+1]/dist[t]`` over the finite, positive prefix."""
    dist = np.asarray(dist, dtype=np.float64)
    ok = np.isfinite(dist) & (dist > 0)
    last = len(dist) if ok.all() else int(np.argmin(ok))
    if last < 2:
        return float("nan")
    return float((dist[last - 1] / dist[0]) ** (1.0 / (last - 1)))
