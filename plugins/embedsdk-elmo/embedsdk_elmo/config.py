"""`ElmoConfig`: the shape of an ELMo model, read from either format's configuration (no torch needed)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ElmoConfig"]


class ElmoConfig(BaseModel):
    """The shape of an ELMo model, read from either format's configuration.

    Attributes:
        n_chars: Rows of the character embedding.
        char_dim: Width of a character embedding.
        filters: ``(width, number)`` of each convolution.
        n_highway: Highway layers after the convolutions.
        activation: ``relu`` or ``tanh``, after each convolution's max.
        max_chars: Characters per word, boundary markers included; longer words are cut.
        n_words: Rows of the word embedding (0: no word embedding).
        word_dim: Width of the word embedding (0: none).
        projection_dim: Width of the token layer and of each LSTM direction's output.
        cell_dim: LSTM memory cell width.
        n_layers: BiLSTM layers.
        cell_clip: Memory cell clipping (None: none).
        proj_clip: Projected state clipping (None: none).
    """

    model_config = ConfigDict(frozen=True)

    n_chars: int
    char_dim: int
    filters: tuple[tuple[int, int], ...]
    n_highway: int
    activation: str = "relu"
    max_chars: int = 50
    n_words: int = 0
    word_dim: int = 0
    projection_dim: int
    cell_dim: int
    n_layers: int = 2
    cell_clip: float | None = None
    proj_clip: float | None = None

    @property
    def n_filters(self) -> int:
        """Total convolution filters: the width of the highway layers."""
        return sum(number for _, number in self.filters)
