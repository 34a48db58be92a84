"""The CPU bf16 fast path: linear layers on oneDNN with weights packed once, and GELU fused into the matmul.

``torch.nn.Linear`` in bf16 on a CPU goes through ``addmm``, which hands oneDNN weights in torch's plain layout on
every call (oneDNN reorders them into its blocked layout each time), and a BERT-style feed-forward block then reads
and writes its 1,536-wide activation once more for GELU. Here each linear layer's weight is reordered once, when
the model loads, by ``mkldnn._reorder_linear_weight``, and runs through ``mkldnn._linear_pointwise``, the operator
torch's own inductor emits for frozen CPU graphs; the feed-forward GELU becomes that matmul's post-op, applied to
the float32 accumulator before rounding to bf16. On all-MiniLM-L6-v2 this takes the linear layers from about 820
to 1,070 GFLOP/s (docs/speed.md).

Every packed layer is checked against the plain one on a random input before it replaces it. A torch without
these operators, a CPU without bf16 support in oneDNN, or a layer whose check fails keeps the plain layers.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

__all__ = ["FASTPATH", "pack_linears"]

# Part of the precision gate's key: a new fast path's numbers are checked afresh, not taken from a stored verdict.
FASTPATH = "onednn-packed-1"

logger = logging.getLogger("embedsdk_transformers")


def _supported(torch: Any) -> bool:
    mkldnn = torch.ops.mkldnn
    try:
        return bool(
            torch.backends.mkldnn.is_available()
            and hasattr(mkldnn, "_linear_pointwise")
            and hasattr(mkldnn, "_reorder_linear_weight")
            and mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


def _exact_gelu(module: Any) -> bool:
    """True for transformers' exact GELU (erf), the one oneDNN's ``gelu`` post-op with algorithm ``none`` computes."""
    import torch

    act = getattr(module, "act", None)
    return type(module).__name__ == "GELUActivation" and act is torch.nn.functional.gelu


def pack_linears(model: Any) -> int:
    """Replace ``model``'s bf16 ``nn.Linear`` layers on the CPU by oneDNN-packed ones; the number replaced.

    A BERT-style feed-forward block (a module with a ``dense`` layer and an exact-GELU ``intermediate_act_fn``)
    gets the GELU fused into its matmul. The model is changed in place; it runs inference only afterwards.
    """
    import torch

    if not _supported(torch):
        return 0
    count = 0
    for module in list(model.modules()):
        dense = getattr(module, "dense", None)
        if isinstance(dense, torch.nn.Linear) and _exact_gelu(getattr(module, "intermediate_act_fn", None)):
            packed = _packed(torch, dense, "gelu")
            if packed is not None:
                module.dense = packed
                module.intermediate_act_fn = torch.nn.Identity()
                count += 1
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Linear):
                packed = _packed(torch, child, "none")
                if packed is not None:
                    setattr(module, name, packed)
                    count += 1
    return count


def _packed(torch: Any, linear: Any, activation: str) -> Any:
    """A `OneDNNLinear` for ``linear`` (+ ``activation``), or None when it is not bf16 on the CPU or fails its check."""
    weight = linear.weight
    if weight.dtype != torch.bfloat16 or weight.device.type != "cpu" or weight.dim() != 2:
        return None
    try:
        packed = _module_class()(linear, activation)
        with torch.inference_mode():
            sample = torch.randn(8, linear.in_features, generator=torch.Generator().manual_seed(0))
            sample = sample.to(torch.bfloat16)
            expected = torch.nn.functional.linear(sample.float(), weight.float(), _float(linear.bias))
            if activation == "gelu":
                expected = torch.nn.functional.gelu(expected)
            got = packed(sample).float()
        # bf16 rounding of the output (2**-8 relative) and of the accumulation order; a wrong layout is far off.
        tolerance = 0.02 * float(expected.abs().max()) + 1e-3
        if got.shape != expected.shape or not float((got - expected).abs().max()) <= tolerance:
            logger.warning("oneDNN's packed linear layer disagrees with torch's; keeping torch's layers")
            return None
    except RuntimeError as exc:  # an operator this torch build lacks, or a layout oneDNN refuses
        logger.debug("not packing a linear layer: %s", exc)
        return None
    return packed


def _float(tensor: Any) -> Any:
    return None if tensor is None else tensor.float()


@functools.cache
def _module_class() -> Any:
    """The ``nn.Module`` subclass, defined once torch is imported."""
    import torch

    class OneDNNLinear(torch.nn.Module):
        """``linear`` (then ``activation``: ``none`` or ``gelu``) with its weight in oneDNN's packed layout."""

        def __init__(self, linear: Any, activation: str) -> None:
            super().__init__()
            self.in_features = linear.in_features
            self.out_features = linear.out_features
            self.activation = activation
            with torch.inference_mode():
                # Not a parameter or buffer: an opaque oneDNN tensor cannot be moved, copied or saved.
                self.packed_weight = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), None)
            bias = linear.bias
            self.bias = None if bias is None else torch.nn.Parameter(bias.detach(), requires_grad=False)

        def forward(self, x: Any) -> Any:
            algorithm = "none" if self.activation == "gelu" else ""
            return torch.ops.mkldnn._linear_pointwise(
                x.contiguous(), self.packed_weight, self.bias, self.activation, [], algorithm
            )

        def extra_repr(self) -> str:
            return f"in_features={self.in_features}, out_features={self.out_features}, post_op={self.activation}"

    return OneDNNLinear
