"""Installs the MovieLens TFX pipeline packages.

TFX components reference the user code by dotted path (for example
``transform_fn.preprocessing.preprocessing_fn``), so the packages must be
importable wherever an executor runs: locally, in Beam workers and in the
Kubeflow container image.
"""

import setuptools

setuptools.setup(
    name="movielens-tfx",
    version="0.1.0",
    description="TFX pipeline components for MovieLens two-tower retrieval.",
    python_requires=">=3.10,<3.11",
    packages=setuptools.find_packages(
        include=[
            "pipeline*", "components*", "transform_fn*", "trainer*", "retrieval_metrics*",
            "movielens_simulator*",
        ]
    ),
    package_data={"pipeline": ["schema/*.pbtxt"]},
    install_requires=[
        "tfx==1.16.0",
        "tensorflow-transform==1.16.0",
        "tensorflow==2.16.2",
        "tf-keras==2.16.0",
        "tensorflow-recommenders==0.7.7",
        "tensorflow-datasets",
        "apache-beam[gcp]==2.59.0",
        "kfp==2.0.1",
        "kfp-pipeline-spec==0.2.2",
        "protobuf==3.20.3",
        "tfx-bsl==1.16.1",
        "pyarrow==10.0.1",
        "matplotlib==3.10.9",
        "scipy==1.12.0",
    ],
    extras_require={"test": ["pytest", "psutil"]},  # psutil: benchmarks/process_memory.py
    entry_points={
        "console_scripts": ["movielens-tfx=pipeline.cli:main"],
    },
)
