"""Deploying the pipeline: Kubeflow Pipelines / Vertex AI specs, recurring runs, Beam profiles.

``runner`` compiles ``create_pipeline`` with TFX's KubeflowV2DagRunner;
``schedule`` creates a recurring run of a compiled spec; ``beam_profiles``
states where Beam runs (DirectRunner, Dataflow, Flink, Spark).
"""
