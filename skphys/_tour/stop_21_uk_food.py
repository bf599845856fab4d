"""Tour stop: PCA of the UK food table singles out Northern Ireland."""

from ._plot import pyplot

TITLE = "PCA of the UK food table (load_uk_food)"


def run(out_dir, quick):
    from sklearn.decomposition import PCA

    from ..datasets import load_uk_food

    food = load_uk_food()
    pca = PCA(n_components=2)
    Z = pca.fit_transform(food.data)
    pc1 = Z[:, 0]
    outlier = food.target[abs(pc1 - pc1.mean()).argmax()]
    ratio = [round(float(v), 2) for v in pca.explained_variance_ratio_]
    rows = [
        {"result": "nation singled out by PC1", "value": str(outlier),
         "reference": "lecture: N Ireland", "ok": bool(outlier == "N Ireland")},
        {"result": "variance explained by PC1, PC2",
         "value": ", ".join(f"{v:.2f}" for v in ratio),
         "reference": "lecture: 0.67, 0.29 (meet: equal to 2 decimals)",
         "ok": ratio == [0.67, 0.29]},
    ]
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.scatter(Z[:, 0], Z[:, 1])
        for name, (x, y) in zip(food.target, Z):
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(5, 5))
        ax.margins(0.15)  # room for the names at the edges
        ax.set(xlabel=f"PC1, g/person/week ({ratio[0]:.0%} of the variance)",
               ylabel=f"PC2, g/person/week ({ratio[1]:.0%})",
               title=f"UK food consumption, {food.data.shape[1]} foods")
        fig.tight_layout()
        fig.savefig(out_dir / "uk_food_pca.png", dpi=100)
        plt.close(fig)
    return rows
