"""Reports: the model report written beside a model (`model_report`), the comparison of
several models (`comparison`), number formatting (`format`) and figures (`plots`)."""
