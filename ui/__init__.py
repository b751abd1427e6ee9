"""The web interface: `ui.app.build_app(engine)` and `ui.app.main()` (all Gradio code)."""
