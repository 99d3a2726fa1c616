"""Polygons: rectangles and squares, with a cached area."""

import functools

from shapes.base import Shape


class Rectangle(Shape):
    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height

    @functools.cached_property
    def diagonal(self) -> float:
        return (self.width**2 + self.height**2) ** 0.5

    def area(self) -> float:
        return self.width * self.height

    def perimeter(self) -> float:
        return 2 * (self.width + self.height)


class Square(Rectangle):
    def __init__(self, side: float) -> None:
        super().__init__(side, side)


def largest(shapes):
    """The shape with the greatest area."""

    def by_area(shape):
        return shape.area()

    return max(shapes, key=by_area)


async def total_area(shapes) -> float:
    return sum(shape.area() for shape in shapes)
