"""nextaudit: a checklist-driven static analyzer for Next.js / TypeScript backends."""

__version__ = "0.1.0"
