import math


class Shape:
    def area(self):
        raise NotImplementedError

    def describe(self):
        return f"{type(self).__name__} with area {self.area():.2f}"


class Circle(Shape):
    def __init__(self, radius):
        if radius < 0:
            raise ValueError("radius must not be negative")
        self.radius = radius

    def area(self):
        return math.pi * self.radius ** 2


class Rectangle(Shape):
    def __init__(self, width, height):
        self.width, self.height = width, height

    def area(self):
        return self.width * self.height

    def is_square(self):
        return self.width == self.height


def largest(shapes):
    best = None
    for shape in shapes:
        if best is None or shape.area() > best.area():
            best = shape
    return best


def scaled(shape, factor):
    if isinstance(shape, Circle):
        return Circle(shape.radius * factor)
    elif isinstance(shape, Rectangle):
        return Rectangle(shape.width * factor, shape.height * factor)
    else:
        raise TypeError(f"cannot scale {shape!r}")
