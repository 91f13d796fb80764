"""Reading and writing files: the only part of routeplan that touches them."""
