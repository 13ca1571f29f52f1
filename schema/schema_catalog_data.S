/* The action catalog, the exception table and the actions CloudTrail never records, embedded so the binary needs no data files. */
    .section .rodata
    .balign 8
    .global tw_catalog_text
    .global tw_catalog_text_end
tw_catalog_text:
    .incbin "actions.catalog"
tw_catalog_text_end:
    .byte 0
    .balign 8
    .global tw_event_actions_text
    .global tw_event_actions_text_end
tw_event_actions_text:
    .incbin "event_actions.tsv"
tw_event_actions_text_end:
    .byte 0
    .balign 8
    .global tw_unobservable_text
    .global tw_unobservable_text_end
tw_unobservable_text:
    .incbin "unobservable-actions.txt"
tw_unobservable_text_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
