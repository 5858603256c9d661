"""igw: the iGaming affiliate & player warehouse."""

__version__ = "0.1.0"
