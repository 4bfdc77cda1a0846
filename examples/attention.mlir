// Exact multi-head self-attention of one BERT-base layer: batch 1, 12 heads,
// 512 tokens, head dimension 64, with a key-padding mask.
//
// Compile and run it (from the repository root, after scripts/setup.sh):
//   /usr/bin/python3 examples/run_attention.py
func.func @encoder_attention(%q: tensor<1x12x512x64xf32>,
                             %k: tensor<1x12x512x64xf32>,
                             %v: tensor<1x12x512x64xf32>,
                             %mask: tensor<1x12x512xi1>,
                             %init: tensor<1x12x512x64xf32>)
    -> tensor<1x12x512x64xf32> {
  %r = effattn.attention
      ins(%q, %k, %v : tensor<1x12x512x64xf32>, tensor<1x12x512x64xf32>,
                       tensor<1x12x512x64xf32>)
      mask(%mask : tensor<1x12x512xi1>)
      outs(%init : tensor<1x12x512x64xf32>) -> tensor<1x12x512x64xf32>
  return %r : tensor<1x12x512x64xf32>
}
