#include "nn/keras/compile_options.h"

#include <algorithm>
#include <cctype>

namespace reco::keras {
namespace {

// Keras accepts "Adam", "adam", "SparseCategoricalCrossentropy" and "sparse_categorical_crossentropy" alike:
// lower-case and drop underscores so all spellings compare equal.
std::string Canonical(const std::string& name) {
  std::string out;
  for (char ch : name) {
    if (ch != '_' && ch != '-' && ch != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

}  // namespace

OptimizerSpec::OptimizerSpec(const std::string& n) {
  const std::string c = Canonical(n);
  if (c == "adam") {
    *this = Adam();
  } else if (c == "sgd") {
    *this = SGD();
  } else {
    name = n;  // kept verbatim so compile() can name it in its error
  }
}

OptimizerSpec::OptimizerSpec(const char* n) : OptimizerSpec(std::string(n ? n : "")) {}

OptimizerSpec Adam(double learning_rate, double beta_1, double beta_2, double epsilon) {
  OptimizerSpec s;
  s.name = "adam";
  s.learning_rate = learning_rate;
  s.beta_1 = beta_1;
  s.beta_2 = beta_2;
  s.epsilon = epsilon;
  return s;
}

OptimizerSpec SGD(double learning_rate, double momentum, bool nesterov) {
  OptimizerSpec s;
  s.name = "sgd";
  s.learning_rate = learning_rate;
  s.momentum = momentum;
  s.nesterov = nesterov;
  return s;
}

LossSpec::LossSpec(const std::string& n) {
  const std::string c = Canonical(n);
  if (c == "sparsecategoricalcrossentropy") {
    *this = SparseCategoricalCrossentropy();
  } else if (c == "binarycrossentropy" || c == "bce") {
    *this = BinaryCrossentropy();
  } else {
    name = n;
  }
}

LossSpec::LossSpec(const char* n) : LossSpec(std::string(n ? n : "")) {}

LossSpec SparseCategoricalCrossentropy(bool from_logits) {
  LossSpec s;
  s.name = "sparse_categorical_crossentropy";
  s.from_logits = from_logits;
  return s;
}

LossSpec BinaryCrossentropy(bool from_logits) {
  LossSpec s;
  s.name = "binary_crossentropy";
  s.from_logits = from_logits;
  return s;
}

}  // namespace reco::keras
