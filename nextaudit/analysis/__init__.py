"""Small shared analyses over a SourceFile's tree, used by many checks."""
