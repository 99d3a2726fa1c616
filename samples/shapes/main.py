"""Entry point of the sample: prints a few shapes."""

from shapes import Rectangle, Square
from shapes.base import Circle
from shapes.polygons import largest
from shapes.units import to_inches

if __name__ == "__main__":
    items = [Rectangle(2, 3), Square(2), Circle(1)]
    for item in items:
        print(item.describe())
    print("largest:", largest(items).describe())
    print("sides in inches:", to_inches([2, 3]))
