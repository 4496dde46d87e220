class Model:
    def __init__(self, weights="yolo.pt"):
        self.weights = weights
