"""Draw the article's picture: animals, colours and countries fall into three clusters.

Embeds 30 words with the default model (the bundled all-MiniLM-L6-v2), draws their 2-D map (PCA, or UMAP
when umap-learn is installed) coloured by group, and checks with the harness that k-means finds the groups.

    HF_HUB_OFFLINE=1 python examples/plot_clusters.py [out.png]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import embedsdk
import embedsdk.eval
import embedsdk.plot

GROUPS = {
    "animals": ["cat", "dog", "horse", "lion", "tiger", "elephant", "rabbit", "wolf", "sheep", "eagle"],
    "colours": ["red", "blue", "green", "yellow", "purple", "orange", "pink", "brown", "grey", "violet"],
    "countries": ["France", "Japan", "Brazil", "Canada", "Kenya", "India", "Norway", "Mexico", "Egypt", "Chile"],
}


def main() -> None:
    words = [word for group in GROUPS.values() for word in group]
    labels = [name for name, group in GROUPS.items() for _ in group]
    vectors = embedsdk.embed(words)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "embedding-map.png"
    embedsdk.plot.map(vectors, labels, out, texts=words, title="all-MiniLM-L6-v2: 30 words, three groups")
    print(f"map: {out}")
    found = embedsdk.eval.clustering(vectors.space.provider, words, labels)
    print(f"k-means finds the groups: V-measure {found.v_measure:.2f}, ARI {found.ari:.2f}")


if __name__ == "__main__":
    main()
