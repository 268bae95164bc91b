"""The shared web layer: request dependencies, and (with the web issue) the page shell."""
