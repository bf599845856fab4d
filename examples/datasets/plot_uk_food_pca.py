"""
=====================================================
PCA of the UK food table: Northern Ireland stands out
=====================================================

The lecture's first example of principal component analysis: how many grams of 17 kinds of
food a person eats per week in England, Northern Ireland, Scotland and Wales. Seventeen
numbers per nation are hard to compare by eye; projected on the first principal component,
one nation is far from the other three.
"""

# %%
# The table: one row per nation, one column per food.
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

from skphys.datasets import load_uk_food

food = load_uk_food(as_frame=True)
print(food.frame.T)

# %%
# Principal components of the four nations (the foods are the features; they share a unit,
# grams, so they are not rescaled).
pca = PCA(n_components=2)
Z = pca.fit_transform(food.data)
print("explained variance ratio:", pca.explained_variance_ratio_.round(3))

pc1 = Z[:, 0]
outlier = food.target.iloc[abs(pc1 - pc1.mean()).argmax()]
print("the first component singles out:", outlier)
assert outlier == "N Ireland"

# %%
# The nations on the first two components, and the foods that make the first one.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.scatter(Z[:, 0], Z[:, 1])
for name, (x, y) in zip(food.target, Z):
    ax1.annotate(name, (x, y), textcoords="offset points", xytext=(5, 5))
ax1.set(xlabel="PC1", ylabel="PC2", title="Four nations, two components")
loadings = pca.components_[0]
order = loadings.argsort()
ax2.barh([food.feature_names[i] for i in order], loadings[order])
ax2.set(xlabel="weight in PC1", title="What PC1 measures")
fig.tight_layout()
plt.show()

# %%
# Northern Ireland eats more fresh potatoes and less fresh fruit, fresh vegetables and
# alcoholic drinks than the rest of the UK: the largest weights of the first component.
