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
    rows = [
        {"result": "nation singled out by PC1", "value": str(outlier),
         "reference": "N Ireland (lecture)"},
        {"result": "variance explained by PC1, PC2",
         "value": ", ".join(f"{v:.2f}" for v in pca.explained_variance_ratio_),
         "reference": "0.67, 0.29"},
    ]
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.scatter(Z[:, 0], Z[:, 1])
        for name, (x, y) in zip(food.target, Z):
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(5, 5))
        ax.set(xlabel="PC1", ylabel="PC2", title="UK food consumption")
        fig.tight_layout()
        fig.savefig(out_dir / "uk_food_pca.png", dpi=100)
        plt.close(fig)
    return rows
