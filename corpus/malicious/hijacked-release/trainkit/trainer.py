class Trainer:
    def __init__(self, max_epochs=1):
        self.max_epochs = max_epochs

    def fit(self, model, data):
        for _epoch in range(self.max_epochs):
            for batch in data:
                model(batch)
