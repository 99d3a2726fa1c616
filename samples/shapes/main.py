"""Entry point of the sample: prints a few shapes."""

from shapes import Rectangle, Square
from shapes.base import Circle
from shapes.polygons import largest

if __name__ == "__main__":
    items = [Rectangle(2, 3), Square(2), Circle(1)]
    for item in items:
        print(item.describe())
    print("largest:", largest(items).describe())
    print("smallest first:", [s.describe() for s in sorted(items, key=lambda s: s.area())])
