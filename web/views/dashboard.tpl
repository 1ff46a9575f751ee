% rebase('layout')
<p>{{_('Dashboard')}}</p>
