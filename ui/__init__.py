"""chatrec's web front end: a Gradio Blocks app over the core's Python API (`chatrec.Recommender`)."""
