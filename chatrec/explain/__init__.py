"""Explanations: code finds the true ties between an item and the user (`ties`), the model words what each shown item
is in one streamed call (`stream`, its prompts built in `compose` from the texts in `prompts/`), code checks every
claim against the record as read through the manifest (`factcheck`), a checked phrase is shared by every visitor
(`cache`), and `quality` judges what was shown."""
