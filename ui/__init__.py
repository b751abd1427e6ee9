"""The web interface (all Gradio code): `ui.app.build_app(engine)` and `ui.app.main()`.

ui/app.py lays it out, ui/handlers.py calls the engine, ui/render.py turns answers into HTML,
ui/inputs.py checks what users type and upload; ui/assets/ holds the CSS and JS.
"""
