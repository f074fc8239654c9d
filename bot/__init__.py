"""Code that runs inside the Rasa server: NLU components and, later, our own channels."""
