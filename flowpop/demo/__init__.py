"""The demo registry: a realistic 三明 county registry built from generated people, houses and work."""

from flowpop.demo.build import DemoRefused, DemoSummary, build

__all__ = ["DemoRefused", "DemoSummary", "build"]
