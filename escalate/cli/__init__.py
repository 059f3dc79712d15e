"""The command surface: parser, console, views, one module per command group; it alone prints."""
