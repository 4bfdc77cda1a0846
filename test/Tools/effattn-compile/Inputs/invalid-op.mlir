func.func @bad(%q: tensor<5x16xf32>, %k: tensor<7x8xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x8xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}
