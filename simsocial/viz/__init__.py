"""A live Mesa view of the persuasion model (``simsocial viz``): Mesa's SolaraViz page over
:class:`~simsocial.viz.model.VizModel`, stepped with Mesa's own step/play controls.  Needs the ``viz``
extra (``mesa[rec]``: solara, matplotlib, altair)."""
