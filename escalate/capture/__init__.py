"""Screenshots, image handling and the clipboard."""
